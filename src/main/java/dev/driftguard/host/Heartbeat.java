package dev.driftguard.host;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the {@link ServiceManager} how the agent is doing, from the reconcile loop's own liveness
 * rather than from a timer alone: each beat sends {@code WATCHDOG=1} (after {@link #ready}) or
 * extends the start timeout (before it) only while {@code loopAlive} says the loop ticks. A loop
 * that hangs therefore goes silent, and systemd's watchdog restarts the agent, which {@code
 * /healthz} alone cannot make happen.
 *
 * <p>Beats run every half watchdog timeout (systemd's advice) on one named daemon thread.
 */
public final class Heartbeat implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(Heartbeat.class);

  /** Beat interval when systemd waits for readiness but watches nothing. */
  static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);

  private final ServiceManager manager;
  private final BooleanSupplier loopAlive;
  private final Duration interval;
  private volatile boolean ready;
  private volatile boolean stopping;
  private boolean silent;
  private ScheduledExecutorService executor;

  /**
   * @param loopAlive whether the reconcile loop ticked recently enough (a long but bounded call
   *     inside a pass must still count as alive)
   */
  public Heartbeat(ServiceManager manager, BooleanSupplier loopAlive) {
    this.manager = manager;
    this.loopAlive = loopAlive;
    this.interval = manager.watchdogTimeout().map(t -> t.dividedBy(2)).orElse(DEFAULT_INTERVAL);
  }

  /** How often {@link #start} beats. */
  public Duration interval() {
    return interval;
  }

  /** Starts beating on a daemon thread; does nothing when no service manager listens. */
  public synchronized void start() {
    if (!manager.supervised() || executor != null) {
      return;
    }
    executor =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread thread = new Thread(r, "driftguard-heartbeat");
              thread.setDaemon(true);
              return thread;
            });
    long millis = Math.max(1, interval.toMillis());
    executor.scheduleAtFixedRate(this::beat, 0, millis, TimeUnit.MILLISECONDS);
  }

  /** One beat: tells the manager the agent lives, if and only if the loop does. */
  public synchronized void beat() {
    if (stopping) {
      return;
    }
    if (!loopAlive.getAsBoolean()) {
      if (!silent) {
        silent = true;
        logger.error(
            "the reconcile loop stopped ticking; no longer telling systemd that the agent is"
                + " alive, so its watchdog will restart it");
      }
      return;
    }
    if (silent) {
      silent = false;
      logger.info("the reconcile loop ticks again; telling systemd again");
    }
    if (ready) {
      manager.alive();
    } else {
      manager.extendStartTimeout(interval.multipliedBy(3));
    }
  }

  /** Start-up is done: {@code READY=1} once, with a status line for {@code systemctl status}. */
  public synchronized void ready(String status) {
    if (ready || stopping) {
      return;
    }
    ready = true;
    if (manager.supervised()) {
      manager.ready(status);
      manager.alive();
      logger.info("told systemd the agent is ready: {}", status);
    }
  }

  /** The agent is shutting down: {@code STOPPING=1}, and no beats after it. */
  public synchronized void stopping() {
    if (stopping) {
      return;
    }
    stopping = true;
    manager.stopping();
    close();
  }

  /** Stops the beat thread. */
  @Override
  public synchronized void close() {
    if (executor != null) {
      executor.shutdownNow();
      executor = null;
    }
  }
}
