/**
 * The sample enterprise application: {@link io.warrenmq.sample.RpcServer} answers fib(n) requests
 * from {@code rpc_queue} (the RabbitMQ tutorial's RPC server, as an MDB), {@link
 * io.warrenmq.sample.NewsResource} publishes to a topic, {@link io.warrenmq.sample.NewsArchive}
 * keeps a durable subscription to it and copies each item to {@code news_archive}, {@link
 * io.warrenmq.sample.PoisonListener} always fails, to show redelivery and dead-lettering. {@link
 * io.warrenmq.sample.Resources} names the connection factory and topic, and says where each way of
 * deploying the adapter defines them.
 */
package io.warrenmq.sample;
