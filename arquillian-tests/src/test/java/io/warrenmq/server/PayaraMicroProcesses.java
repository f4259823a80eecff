package io.warrenmq.server;

import java.io.IOException;
import java.lang.reflect.Field;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.jboss.arquillian.container.spi.client.container.DeployableContainer;
import org.jboss.arquillian.container.spi.event.container.AfterUnDeploy;
import org.jboss.arquillian.container.spi.event.container.BeforeDeploy;
import org.jboss.arquillian.core.api.annotation.Observes;
import org.jboss.arquillian.core.spi.LoadableExtension;

/**
 * An Arquillian extension for the Payara Micro managed container (arquillian-payara-micro-managed
 * 3.1), which runs one Payara Micro process per deployment. Its undeployment only sends the process
 * SIGTERM and returns; this extension then waits, bounded, until the process has exited, so that
 * the test sees a stopped server (and its store closed) when {@code Deployer.undeploy} returns. It
 * also closes the process's output pipe afterwards: the container's reader thread loops without
 * pause on the ended stream until that stream fails, which would take a core away from everything
 * after it.
 *
 * <p>The container keeps the process in a private field; if a later version of the container drops
 * it, {@link #process} says so instead of waiting on nothing.
 */
public final class PayaraMicroProcesses implements LoadableExtension {
  private static final Logger LOG = Logger.getLogger(PayaraMicroProcesses.class.getName());
  private static final String CONTAINER_CLASS =
      "fish.payara.arquillian.container.payara.managed.PayaraMicroDeployableContainer";
  static final Duration STOP_TIMEOUT = Duration.ofSeconds(120);

  private static volatile DeployableContainer<?> container;
  private static volatile String lastStop = "never stopped";

  @Override
  public void register(ExtensionBuilder builder) {
    builder.observer(Observer.class);
  }

  /** The Payara Micro process of the last deployment, if one was started. */
  static Optional<Process> process() {
    DeployableContainer<?> c = container;
    if (c == null) {
      return Optional.empty();
    }
    try {
      Field f = c.getClass().getDeclaredField("payaraMicroProcess");
      f.setAccessible(true);
      return Optional.ofNullable((Process) f.get(c));
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(
          "this version of the Payara Micro container keeps its process elsewhere", e);
    }
  }

  /** How the last undeployment ended: "exited with N after M ms" or what went wrong. */
  static String lastStop() {
    return lastStop;
  }

  /**
   * Waits for the process to exit after SIGTERM (killing it if it does not within {@link
   * #STOP_TIMEOUT}) and ends the container's reader of its output.
   */
  static void awaitStopped(Process p) {
    long start = System.nanoTime();
    try {
      if (p.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        lastStop =
            "exited with "
                + p.exitValue()
                + " after "
                + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)
                + " ms";
      } else {
        lastStop = "did not exit within " + STOP_TIMEOUT + "; killed";
        p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      lastStop = "interrupted waiting for the exit";
      p.destroyForcibly();
    } finally {
      try {
        p.getInputStream().close();
      } catch (IOException e) {
        LOG.log(Level.FINE, "closing Payara Micro's output", e);
      }
    }
    LOG.info("Payara Micro " + lastStop);
  }

  /** Stops the last process if it still runs (after a failed deployment or test). */
  static void stopIfRunning() {
    process()
        .filter(Process::isAlive)
        .ifPresent(
            p -> {
              p.destroy();
              awaitStopped(p);
            });
  }

  /** The observer; public with a public constructor, as Arquillian creates it. */
  public static final class Observer {
    public void beforeDeploy(@Observes BeforeDeploy event) {
      if (CONTAINER_CLASS.equals(event.getDeployableContainer().getClass().getName())) {
        container = event.getDeployableContainer();
      }
    }

    public void afterUndeploy(@Observes AfterUnDeploy event) {
      if (event.getDeployableContainer() == container) {
        process().ifPresent(PayaraMicroProcesses::awaitStopped);
      }
    }
  }
}
