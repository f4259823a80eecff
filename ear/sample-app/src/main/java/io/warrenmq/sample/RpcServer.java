package io.warrenmq.sample;

import jakarta.annotation.Resource;
import jakarta.ejb.ActivationConfigProperty;
import jakarta.ejb.MessageDriven;
import jakarta.jms.BytesMessage;
import jakarta.jms.Connection;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageListener;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import java.nio.charset.StandardCharsets;
import java.util.logging.Logger;

/**
 * The RabbitMQ tutorial's RPC server as a message-driven bean: reads n from {@code rpc_queue} and
 * replies fib(n) to the request's reply-to with its correlation id. The reply is sent in the
 * delivery's container transaction: it leaves only if the request is acknowledged.
 */
@MessageDriven(
    activationConfig = {
      @ActivationConfigProperty(propertyName = "destination", propertyValue = "rpc_queue"),
      @ActivationConfigProperty(
          propertyName = "destinationType",
          propertyValue = "jakarta.jms.Queue"),
      @ActivationConfigProperty(propertyName = "maxSession", propertyValue = "8")
    })
public class RpcServer implements MessageListener {
  private static final Logger LOG = Logger.getLogger(RpcServer.class.getName());

  @Resource(lookup = Resources.CONNECTION_FACTORY)
  private ConnectionFactory factory;

  @Override
  public void onMessage(Message request) {
    try {
      // A request without content type (as the RabbitMQ tutorial's clients send it) arrives as
      // a BytesMessage: its body is the number's text in UTF-8.
      String body =
          request instanceof TextMessage t
              ? t.getText()
              : request instanceof BytesMessage
                  ? new String(request.getBody(byte[].class), StandardCharsets.UTF_8)
                  : request.getBody(String.class);
      String answer;
      try {
        answer = Long.toString(Fibonacci.fib(Integer.parseInt(body.trim())));
      } catch (RuntimeException e) {
        answer = "error: " + e.getMessage();
      }
      if (request.getJMSReplyTo() == null) {
        LOG.warning("RPC request without reply-to dropped");
        return;
      }
      try (Connection c = factory.createConnection()) {
        Session s = c.createSession();
        TextMessage reply = s.createTextMessage(answer);
        reply.setJMSCorrelationID(request.getJMSCorrelationID());
        s.createProducer(request.getJMSReplyTo()).send(reply);
      }
    } catch (JMSException e) {
      throw new IllegalStateException("cannot reply", e);
    }
  }
}
