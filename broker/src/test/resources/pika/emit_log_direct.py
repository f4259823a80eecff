#!/usr/bin/env python3
"""Tutorial four, "Routing": sends a log message with its severity as the routing key to the
direct exchange 'direct_logs'.

Usage: emit_log_direct.py PORT SEVERITY MESSAGE
"""
import sys

import pika

connection = pika.BlockingConnection(
    pika.ConnectionParameters(host='127.0.0.1', port=int(sys.argv[1])))
channel = connection.channel()

channel.exchange_declare(exchange='direct_logs', exchange_type='direct')

severity = sys.argv[2] if len(sys.argv) > 2 else 'info'
message = ' '.join(sys.argv[3:]) or 'Hello World!'
channel.basic_publish(exchange='direct_logs', routing_key=severity, body=message)
print(f" [x] Sent {severity}:{message}")
connection.close()
