#!/usr/bin/env python3
"""Tutorial five, "Topics": sends a log message with a "<facility>.<severity>" routing key to the
topic exchange 'topic_logs'.

Usage: emit_log_topic.py PORT ROUTING_KEY MESSAGE
"""
import sys

import pika

connection = pika.BlockingConnection(
    pika.ConnectionParameters(host='127.0.0.1', port=int(sys.argv[1])))
channel = connection.channel()

channel.exchange_declare(exchange='topic_logs', exchange_type='topic')

routing_key = sys.argv[2] if len(sys.argv) > 2 else 'anonymous.info'
message = ' '.join(sys.argv[3:]) or 'Hello World!'
channel.basic_publish(exchange='topic_logs', routing_key=routing_key, body=message)
print(f" [x] Sent {routing_key}:{message}")
connection.close()
