package io.warrenmq.jms;

import jakarta.jms.ConnectionMetaData;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

/** The provider's identity and the JMSX properties it supports. */
final class WarrenMetaData implements ConnectionMetaData {
  @Override
  public String getJMSVersion() {
    return "3.1";
  }

  @Override
  public int getJMSMajorVersion() {
    return 3;
  }

  @Override
  public int getJMSMinorVersion() {
    return 1;
  }

  @Override
  public String getJMSProviderName() {
    return "WarrenMQ";
  }

  @Override
  public String getProviderVersion() {
    return "0.1";
  }

  @Override
  public int getProviderMajorVersion() {
    return 0;
  }

  @Override
  public int getProviderMinorVersion() {
    return 1;
  }

  @Override
  public Enumeration<String> getJMSXPropertyNames() {
    return Collections.enumeration(List.of("JMSXDeliveryCount", "JMSXUserID", "JMSXAppID"));
  }
}
