package io.warrenmq.server;

import java.util.logging.LogManager;

/**
 * The log manager of the Payara Micro processes that {@link PayaraMicroArquillianIT} starts ({@code
 * -Djava.util.logging.manager}, with this one class on {@code -Xbootclasspath/a}): the JDK's own,
 * which Payara Micro uses, closes every log handler in a shutdown hook of its own that runs at the
 * same time as Payara's, so nothing logged while the server stops — the adapter's {@code
 * WARRENRA0015} and {@code WARRENRA0005} among it — reaches the log. This one ignores that hook's
 * reset and keeps the handlers until the JVM exits (the file handler writes each record through).
 * Only the JDK's hook is ignored; Payara's own resets at start-up work as before.
 */
public class ShutdownLoggingLogManager extends LogManager {
  private static final String JDK_CLEANER = "java.util.logging.LogManager$Cleaner";

  public ShutdownLoggingLogManager() {}

  @Override
  public void reset() {
    if (JDK_CLEANER.equals(Thread.currentThread().getClass().getName())) {
      return;
    }
    super.reset();
  }
}
