package io.warrenmq.sample;

import jakarta.resource.AdministeredObjectDefinition;
import jakarta.resource.ConnectionFactoryDefinition;
import jakarta.resource.spi.TransactionSupport.TransactionSupportLevel;

/**
 * The application's resources on the WarrenMQ adapter (deployed as {@code warren-ra.rar}), defined
 * here so that no server configuration is needed.
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
