package dev.driftguard.host;

import java.time.Duration;
import java.util.Optional;

/**
 * Port: the service manager that started the agent (systemd with {@code Type=notify}), told when
 * the agent is ready, that it is still alive, and that it is stopping. Implementations never throw:
 * the agent reconciles whether or not its supervisor hears it.
 */
public interface ServiceManager {

  /**
   * Start-up is done ({@code READY=1}); {@code status} is the line {@code systemctl status} shows.
   */
  void ready(String status);

  /** The agent is alive ({@code WATCHDOG=1}): systemd restarts it when this stops coming. */
  void alive();

  /**
   * Start-up is still under way and alive: allow it {@code extension} more from now ({@code
   * EXTEND_TIMEOUT_USEC}), so a first pass that deploys is not cut off by the start timeout.
   */
  void extendStartTimeout(Duration extension);

  /** The agent is shutting down ({@code STOPPING=1}). */
  void stopping();

  /**
   * How long systemd waits for {@link #alive} before it restarts the agent ({@code WatchdogSec=},
   * passed as {@code WATCHDOG_USEC}); empty when nothing watches.
   */
  Optional<Duration> watchdogTimeout();

  /** Whether anything listens at all; false outside a {@code Type=notify} unit. */
  boolean supervised();

  /** The service manager of a process that has none: every message goes nowhere. */
  static ServiceManager none() {
    return NoServiceManager.INSTANCE;
  }
}
