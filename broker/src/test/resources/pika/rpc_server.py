#!/usr/bin/env python3
"""Tutorial six, "RPC": answers requests on 'rpc_queue' with the Fibonacci number of the request,
sent to the request's reply_to with its correlation_id.

Usage: rpc_server.py PORT COUNT -- stops after answering COUNT requests.
"""
import sys

import pika

connection = pika.BlockingConnection(
    pika.ConnectionParameters(host='127.0.0.1', port=int(sys.argv[1])))
channel = connection.channel()
remaining = int(sys.argv[2])

channel.queue_declare(queue='rpc_queue')


def fib(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def on_request(ch, method, props, body):
    global remaining
    n = int(body)

    print(f" [.] fib({n})")
    response = fib(n)

    ch.basic_publish(exchange='',
                     routing_key=props.reply_to,
                     properties=pika.BasicProperties(correlation_id=props.correlation_id),
                     body=str(response))
    ch.basic_ack(delivery_tag=method.delivery_tag)
    remaining -= 1
    if remaining == 0:
        ch.stop_consuming()


channel.basic_qos(prefetch_count=1)
channel.basic_consume(queue='rpc_queue', on_message_callback=on_request)

print(" [x] Awaiting RPC requests")
channel.start_consuming()
connection.close()
