#!/usr/bin/env python3
"""Tutorial four, "Routing": binds an exclusive server-named queue to 'direct_logs' once per
severity and prints what arrives.

Usage: receive_logs_direct.py PORT COUNT SEVERITY... -- stops after COUNT messages.
"""
import sys

import pika

connection = pika.BlockingConnection(
    pika.ConnectionParameters(host='127.0.0.1', port=int(sys.argv[1])))
channel = connection.channel()
remaining = int(sys.argv[2])

channel.exchange_declare(exchange='direct_logs', exchange_type='direct')

result = channel.queue_declare(queue='', exclusive=True)
queue_name = result.method.queue

severities = sys.argv[3:]
if not severities:
    sys.stderr.write(f"Usage: {sys.argv[0]} PORT COUNT [info] [warning] [error]\n")
    sys.exit(1)

for severity in severities:
    channel.queue_bind(exchange='direct_logs', queue=queue_name, routing_key=severity)


def callback(ch, method, properties, body):
    global remaining
    print(f" [x] {method.routing_key}:{body.decode()}")
    remaining -= 1
    if remaining == 0:
        ch.stop_consuming()


channel.basic_consume(queue=queue_name, on_message_callback=callback, auto_ack=True)

print(' [*] Waiting for logs. To exit press CTRL+C')
channel.start_consuming()
connection.close()
