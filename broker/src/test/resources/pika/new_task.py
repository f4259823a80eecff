#!/usr/bin/env python3
"""Tutorial two, "Work queues": sends each argument as a persistent task to the durable queue
'task_queue'. Each dot in a task stands for a tenth of a second of work.

Usage: new_task.py PORT TASK...
"""
import sys

import pika

connection = pika.BlockingConnection(
    pika.ConnectionParameters(host='127.0.0.1', port=int(sys.argv[1])))
channel = connection.channel()

channel.queue_declare(queue='task_queue', durable=True)

for message in sys.argv[2:]:
    channel.basic_publish(
        exchange='',
        routing_key='task_queue',
        body=message,
        properties=pika.BasicProperties(delivery_mode=2))  # persistent
    print(f" [x] Sent {message}")
connection.close()
