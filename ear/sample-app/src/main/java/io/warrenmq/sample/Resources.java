package io.warrenmq.sample;

import jakarta.resource.AdministeredObjectDefinition;
import jakarta.resource.ConnectionFactoryDefinition;
import jakarta.resource.spi.TransactionSupport.TransactionSupportLevel;

/**
 * The application's resources on the WarrenMQ adapter (deployed as {@code warren-ra.rar}), defined
 * here so that no server configuration is needed on Payara.
 *
 * <p>WildFly would give each of these definitions an adapter instance, and so an embedded broker,
 * of its own: there {@code WEB-INF/jboss-web.xml} replaces them with the connection factory and
 * topic defined on the .ear's one adapter ({@code ear/src/main/wildfly/warren-sample.cli}).
 */
@ConnectionFactoryDefinition(
    name = Resources.CONNECTION_FACTORY,
    interfaceName = "jakarta.jms.ConnectionFactory",
    resourceAdapter = Resources.ADAPTER,
    transactionSupport = TransactionSupportLevel.LocalTransaction,
    maxPoolSize = 16)
@AdministeredObjectDefinition(
    name = Resources.NEWS_TOPIC,
    interfaceName = "jakarta.jms.Topic",
    className = "io.warrenmq.ra.WarrenTopic",
    resourceAdapter = Resources.ADAPTER,
    properties = {"name=news"})
@jakarta.ejb.Singleton
public class Resources {
  public static final String ADAPTER = "warren-ra";
  public static final String CONNECTION_FACTORY = "java:app/jms/warren";
  public static final String NEWS_TOPIC = "java:app/jms/news";
}
