#!/usr/bin/env python3
"""Tutorial five, "Topics": binds an exclusive server-named queue to 'topic_logs' once per
binding key (with * and #) and prints what arrives.

Usage: receive_logs_topic.py PORT COUNT BINDING_KEY... -- stops after COUNT messages.
"""
import sys

import pika

connection = pika.BlockingConnection(
    pika.ConnectionParameters(host='127.0.0.1', port=int(sys.argv[1])))
channel = connection.channel()
remaining = int(sys.argv[2])

channel.exchange_declare(exchange='topic_logs', exchange_type='topic')

result = channel.queue_declare('', exclusive=True)
queue_name = result.method.queue

binding_keys = sys.argv[3:]
if not binding_keys:
    sys.stderr.write(f"Usage: {sys.argv[0]} PORT COUNT [binding_key]...\n")
    sys.exit(1)

for binding_key in binding_keys:
    channel.queue_bind(exchange='topic_logs', queue=queue_name, routing_key=binding_key)


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
