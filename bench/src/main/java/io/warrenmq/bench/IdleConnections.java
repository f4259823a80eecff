package io.warrenmq.bench;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Opens many idle connections with one channel each, prints {@code ready} once they are all open,
 * then holds them until its standard input closes (or a line arrives). Heartbeats are off, so the
 * connections are truly idle; NIO keeps the client to a few threads.
 *
 * <p>Usage: {@code IdleConnections URI COUNT}
 */
public final class IdleConnections {

  private IdleConnections() {}

  public static void main(String[] args) throws Exception {
    String uri = args[0];
    int count = Integer.parseInt(args[1]);
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri(uri);
    factory.setRequestedHeartbeat(0);
    factory.setAutomaticRecoveryEnabled(false);
    factory.useNio();
    List<Connection> connections = new ArrayList<>(count);
    try {
      for (int i = 0; i < count; i++) {
        Connection c = factory.newConnection("idle-" + i);
        c.createChannel();
        connections.add(c);
      }
      System.out.println("ready " + connections.size());
      System.out.flush();
      new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
    } finally {
      for (Connection c : connections) {
        try {
          c.abort(1000);
        } catch (RuntimeException ignored) {
          // Closing at exit: a failure to close one connection changes nothing.
        }
      }
    }
  }
}
