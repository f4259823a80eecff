#!/usr/bin/env python3
"""Tutorial two, "Work queues": takes one task at a time (prefetch 1) from 'task_queue', works a
tenth of a second per dot and acknowledges it when done. The task 'stop' ends the worker.

Usage: worker.py PORT
"""
import sys
import time

import pika

connection = pika.BlockingConnection(
    pika.ConnectionParameters(host='127.0.0.1', port=int(sys.argv[1])))
channel = connection.channel()

channel.queue_declare(queue='task_queue', durable=True)


def callback(ch, method, properties, body):
    task = body.decode()
    if task == 'stop':
        # Cancel first: with prefetch 1 nothing more arrives while 'stop' is unacknowledged.
        ch.stop_consuming()
        ch.basic_ack(delivery_tag=method.delivery_tag)
        return
    print(f" [x] Received {task}")
    time.sleep(task.count('.') / 10)
    print(" [x] Done")
    ch.basic_ack(delivery_tag=method.delivery_tag)


channel.basic_qos(prefetch_count=1)
channel.basic_consume(queue='task_queue', on_message_callback=callback)

print(' [*] Waiting for messages. To exit press CTRL+C')
channel.start_consuming()
connection.close()
