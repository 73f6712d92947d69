package dev.driftguard.traffic;

import dev.driftguard.model.DriftguardException;

/**
 * A load balancer call failed. The message names the operation, target group, instance and port,
 * and the AWS error; {@code throttled} asks the caller to back off.
 */
public class TrafficGateException extends DriftguardException {
  private static final long serialVersionUID = 1L;
  private final boolean throttled;

  public TrafficGateException(String message, boolean throttled, Throwable cause) {
    super(message, cause);
    this.throttled = throttled;
  }

  public boolean throttled() {
    return throttled;
  }
}
