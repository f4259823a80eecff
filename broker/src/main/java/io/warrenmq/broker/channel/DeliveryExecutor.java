package io.warrenmq.broker.channel;

import java.util.concurrent.Executor;
import java.util.function.BooleanSupplier;

/**
 * Runs a channel's deliveries one at a time, in order (AMQP: the connection's event loop; in-VM:
 * the session's serial executor), and tells whether the calling thread is the one running them:
 * work that must follow the deliveries already on their way runs at once there, else as the next
 * task.
 */
public interface DeliveryExecutor extends Executor {

  /** Whether the calling thread is running this executor's tasks now. */
  boolean inExecutor();

  static DeliveryExecutor of(Executor executor, BooleanSupplier inExecutor) {
    return new DeliveryExecutor() {
      @Override
      public void execute(Runnable task) {
        executor.execute(task);
      }

      @Override
      public boolean inExecutor() {
        return inExecutor.getAsBoolean();
      }
    };
  }
}
