/** JMS message selectors evaluated on AMQP messages, for consumers that filter their queue. */
package io.warrenmq.broker.selector;
