#!/usr/bin/env python3
"""Tutorial three, "Publish/Subscribe": binds an exclusive server-named queue to the fanout
exchange 'logs' and prints what arrives.

Usage: receive_logs.py PORT COUNT -- stops after COUNT messages.
"""
import sys

import pika

connection = pika.BlockingConnection(
    pika.ConnectionParameters(host='127.0.0.1', port=int(sys.argv[1])))
channel = connection.channel()
remaining = int(sys.argv[2])

channel.exchange_declare(exchange='logs', exchange_type='fanout')

result = channel.queue_declare(queue='', exclusive=True)
queue_name = result.method.queue

channel.queue_bind(exchange='logs', queue=queue_name)


def callback(ch, method, properties, body):
    global remaining
    print(f" [x] {body.decode()}")
    remaining -= 1
    if remaining == 0:
        ch.stop_consuming()


channel.basic_consume(queue=queue_name, on_message_callback=callback, auto_ack=True)

print(' [*] Waiting for logs. To exit press CTRL+C')
channel.start_consuming()
connection.close()
