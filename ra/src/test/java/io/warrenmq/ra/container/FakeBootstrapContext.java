package io.warrenmq.ra.container;

import jakarta.resource.spi.BootstrapContext;
import jakarta.resource.spi.XATerminator;
import jakarta.resource.spi.work.WorkContext;
import jakarta.resource.spi.work.WorkManager;
import jakarta.transaction.TransactionSynchronizationRegistry;
import java.util.Timer;

/** The container's side of {@code ResourceAdapter.start}: just a WorkManager and timers. */
public final class FakeBootstrapContext implements BootstrapContext {
  private final FakeWorkManager workManager = new FakeWorkManager();

  @Override
  public WorkManager getWorkManager() {
    return workManager;
  }

  public FakeWorkManager workManager() {
    return workManager;
  }

  @Override
  public XATerminator getXATerminator() {
    return null;
  }

  @Override
  public Timer createTimer() {
    return new Timer(true);
  }

  @Override
  public boolean isContextSupported(Class<? extends WorkContext> workContextClass) {
    return false;
  }

  @Override
  public TransactionSynchronizationRegistry getTransactionSynchronizationRegistry() {
    return null;
  }
}
