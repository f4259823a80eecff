package io.warrenmq.broker.session;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The server properties sent in connection.start: product and version, and the capabilities
 * RabbitMQ advertises, which clients use to decide what they may rely on.
 */
final class ServerProperties {

  private static final Map<String, Object> PROPERTIES = build();

  private ServerProperties() {}

  static Map<String, Object> get() {
    return PROPERTIES;
  }

  private static Map<String, Object> build() {
    Map<String, Object> capabilities = new LinkedHashMap<>();
    for (String c :
        new String[] {
          "publisher_confirms",
          "exchange_exchange_bindings",
          "basic.nack",
          "consumer_cancel_notify",
          "connection.blocked",
          "consumer_priorities",
          "authentication_failure_close",
          "per_consumer_qos",
          "direct_reply_to",
          // WarrenMQ's own: consumers may filter with a JMS selector (x-filter-jms-selector).
          "jms_selectors"
        }) {
      capabilities.put(c, Boolean.TRUE);
    }
    Map<String, Object> props = new LinkedHashMap<>();
    props.put("capabilities", capabilities);
    props.put("cluster_name", "warren@" + hostName());
    props.put("copyright", "Copyright (c) WarrenMQ contributors");
    props.put("information", "WarrenMQ, an AMQP 0-9-1 broker that speaks like RabbitMQ");
    props.put("platform", "Java " + Runtime.version().feature());
    props.put("product", "WarrenMQ");
    props.put("version", version());
    return java.util.Collections.unmodifiableMap(props);
  }

  static String version() {
    String v = ServerProperties.class.getPackage().getImplementationVersion();
    return v == null ? "0.1.0-SNAPSHOT" : v;
  }

  /** From the environment, not DNS: a slow resolver must not delay the first connection. */
  private static String hostName() {
    String host = System.getenv("HOSTNAME");
    return host == null || host.isBlank() ? "localhost" : host;
  }
}
