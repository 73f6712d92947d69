package dev.driftguard.model;

import java.time.Duration;

/**
 * When a freshly started container counts as healthy: {@code healthyThreshold} consecutive passing
 * probes, each bounded by {@code timeout} and spaced by {@code interval}, all within {@code
 * deadline}. {@code port} is the container port (probed through the host port that publishes it);
 * {@code path} is used by {@code http} only.
 */
public record HealthSpec(
    Type type,
    int port,
    String path,
    Duration interval,
    Duration timeout,
    int healthyThreshold,
    Duration deadline) {

  /** How a container's health is judged. */
  public enum Type {
    /** The image's own HEALTHCHECK status as Docker reports it. */
    DOCKER,
    /** An HTTP GET that answers 2xx or 3xx. */
    HTTP,
    /** A TCP connection that opens. */
    TCP,
    /** Running is healthy (workers without a probe). */
    NONE
  }

  public HealthSpec {
    if (type == null) {
      throw new InvalidValueException("health type must be set");
    }
    if ((type == Type.HTTP || type == Type.TCP) && (port < 1 || port > 65535)) {
      throw new InvalidValueException("health port must be 1..65535");
    }
    path = path == null || path.isEmpty() ? "/" : path;
    if (!path.startsWith("/")) {
      throw new InvalidValueException("health path must start with '/'");
    }
    requirePositive(interval, "interval");
    requirePositive(timeout, "timeout");
    requirePositive(deadline, "deadline");
    if (healthyThreshold < 1) {
      throw new InvalidValueException("healthyThreshold must be 1 or more");
    }
  }

  private static void requirePositive(Duration d, String name) {
    if (d == null || d.isZero() || d.isNegative()) {
      throw new InvalidValueException("health " + name + " must be more than zero");
    }
  }
}
