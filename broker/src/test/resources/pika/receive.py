#!/usr/bin/env python3
"""Tutorial one, "Hello World!": prints the messages of the queue 'hello'.

Usage: receive.py PORT COUNT -- stops after COUNT messages.
"""
import sys

import pika

connection = pika.BlockingConnection(
    pika.ConnectionParameters(host='127.0.0.1', port=int(sys.argv[1])))
channel = connection.channel()
remaining = int(sys.argv[2])

channel.queue_declare(queue='hello')


def callback(ch, method, properties, body):
    global remaining
    print(f" [x] Received {body.decode()}")
    remaining -= 1
    if remaining == 0:
        ch.stop_consuming()


channel.basic_consume(queue='hello', on_message_callback=callback, auto_ack=True)

print(' [*] Waiting for messages. To exit press CTRL+C')
channel.start_consuming()
connection.close()
