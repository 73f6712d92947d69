package dev.driftguard.traffic;

import dev.driftguard.model.BackendException;

/**
 * A load balancer call failed. The message names the operation, target group, instance and port,
 * and the AWS error; {@code throttled} asks the caller to back off.
 */
public class TrafficGateException extends BackendException {
  private static final long serialVersionUID = 1L;

  public TrafficGateException(String message, boolean throttled, Throwable cause) {
    super(message, throttled, cause);
  }
}
