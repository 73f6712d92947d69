package dev.driftguard.testing.aws;

import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * How a local target group health-checks and drains its targets. The names follow the ELBv2 API;
 * durations may be below AWS's whole-second minimums so tests run in seconds (the API reports them
 * rounded up to whole seconds).
 *
 * @param name 1 to 32 letters, digits and hyphens, not starting or ending with a hyphen
 * @param port the group's port, used for targets registered without one
 * @param healthCheckPath the path of {@code GET http://127.0.0.1:PORT/path}
 * @param healthyThreshold consecutive passes that make a target healthy (2..10)
 * @param unhealthyThreshold consecutive failures that make it unhealthy (2..10)
 * @param interval time between two checks of one target
 * @param timeout a check that has no status line within it fails ({@code Target.Timeout})
 * @param deregistrationDelay how long a deregistered target stays {@code draining}
 */
public record TargetGroupConfig(
    String name,
    int port,
    String healthCheckPath,
    int healthyThreshold,
    int unhealthyThreshold,
    Duration interval,
    Duration timeout,
    Duration deregistrationDelay) {
  private static final Pattern NAME =
      Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,30}[A-Za-z0-9])?");

  public TargetGroupConfig {
    Objects.requireNonNull(name, "name");
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "a target group name is 1 to 32 letters, digits and hyphens, not starting or ending with"
              + " a hyphen: "
              + name);
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port must be 1..65535: " + port);
    }
    if (healthCheckPath == null || !healthCheckPath.startsWith("/")) {
      throw new IllegalArgumentException(
          "the health check path must start with /: " + healthCheckPath);
    }
    if (healthyThreshold < 2 || healthyThreshold > 10) {
      throw new IllegalArgumentException("healthyThreshold must be 2..10: " + healthyThreshold);
    }
    if (unhealthyThreshold < 2 || unhealthyThreshold > 10) {
      throw new IllegalArgumentException("unhealthyThreshold must be 2..10: " + unhealthyThreshold);
    }
    if (interval == null || interval.toMillis() < 10) {
      throw new IllegalArgumentException("interval must be at least 10ms: " + interval);
    }
    if (timeout == null
        || timeout.isNegative()
        || timeout.isZero()
        || timeout.compareTo(interval) >= 0) {
      // AWS rejects a timeout that is not shorter than the interval, too.
      throw new IllegalArgumentException(
          "timeout must be positive and shorter than the interval: " + timeout);
    }
    if (deregistrationDelay == null || deregistrationDelay.isNegative()) {
      throw new IllegalArgumentException(
          "deregistrationDelay must not be negative: " + deregistrationDelay);
    }
  }

  /** Port 80, the check times out after half the interval. */
  public static TargetGroupConfig of(
      String name,
      String healthCheckPath,
      int healthyThreshold,
      int unhealthyThreshold,
      Duration interval,
      Duration deregistrationDelay) {
    return new TargetGroupConfig(
        name,
        80,
        healthCheckPath,
        healthyThreshold,
        unhealthyThreshold,
        interval,
        interval.dividedBy(2),
        deregistrationDelay);
  }

  public TargetGroupConfig withDeregistrationDelay(Duration delay) {
    return new TargetGroupConfig(
        name,
        port,
        healthCheckPath,
        healthyThreshold,
        unhealthyThreshold,
        interval,
        timeout,
        delay);
  }

  public TargetGroupConfig withTimeout(Duration checkTimeout) {
    return new TargetGroupConfig(
        name,
        port,
        healthCheckPath,
        healthyThreshold,
        unhealthyThreshold,
        interval,
        checkTimeout,
        deregistrationDelay);
  }
}
