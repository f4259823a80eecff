#!/usr/bin/env python3
"""Tutorial six, "RPC": asks for fib(n) for each argument over 'rpc_queue', with replies on an
exclusive server-named callback queue matched by correlation_id.

Usage: rpc_client.py PORT N...
"""
import sys
import uuid

import pika


class FibonacciRpcClient(object):

    def __init__(self, port):
        self.connection = pika.BlockingConnection(
            pika.ConnectionParameters(host='127.0.0.1', port=port))

        self.channel = self.connection.channel()

        result = self.channel.queue_declare(queue='', exclusive=True)
        self.callback_queue = result.method.queue

        self.channel.basic_consume(
            queue=self.callback_queue,
            on_message_callback=self.on_response,
            auto_ack=True)

        self.response = None
        self.corr_id = None

    def on_response(self, ch, method, props, body):
        if self.corr_id == props.correlation_id:
            self.response = body

    def call(self, n):
        self.response = None
        self.corr_id = str(uuid.uuid4())
        self.channel.basic_publish(
            exchange='',
            routing_key='rpc_queue',
            properties=pika.BasicProperties(
                reply_to=self.callback_queue,
                correlation_id=self.corr_id,
            ),
            body=str(n))
        while self.response is None:
            self.connection.process_data_events(time_limit=None)
        return int(self.response)


fibonacci_rpc = FibonacciRpcClient(int(sys.argv[1]))

for n in sys.argv[2:]:
    print(f" [x] Requesting fib({n})")
    response = fibonacci_rpc.call(int(n))
    print(f" [.] Got {response}")
fibonacci_rpc.connection.close()
