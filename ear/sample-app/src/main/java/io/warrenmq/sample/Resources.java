package io.warrenmq.sample;

/**
 * The names under which the application finds its connection factory and topic on the WarrenMQ
 * adapter. Where they come from depends on how the adapter is deployed:
 *
 * <ul>
 *   <li>{@code warren-ra.rar} on its own next to {@code warren-sample-app.war} (Payara Micro, or
 *       Payara Server): {@code WEB-INF/web.xml} defines both on the adapter {@code warren-ra}, with
 *       no server configuration;
 *   <li>{@code warren-sample.ear} on Payara Server: the .ear's {@code
 *       META-INF/glassfish-resources.xml} defines both on the adapter of the .ear, {@code
 *       warren-sample#warren-ra};
 *   <li>{@code warren-sample.ear} on WildFly: {@code warren-sample.cli} defines them on the .ear's
 *       adapter and {@code WEB-INF/jboss-web.xml} points these names at them (WildFly would give
 *       each standard resource definition an adapter instance, and so an embedded broker, of its
 *       own).
 * </ul>
 */
public final class Resources {
  public static final String CONNECTION_FACTORY = "java:app/jms/warren";
  public static final String NEWS_TOPIC = "java:app/jms/news";

  private Resources() {}
}
