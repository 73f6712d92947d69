package dev.driftguard.desired;

import dev.driftguard.model.BackendException;

/** The desired-state backend could not be read; {@code throttled} asks the loop to back off. */
public class DesiredStateUnavailableException extends BackendException {
  private static final long serialVersionUID = 1L;

  public DesiredStateUnavailableException(String message, boolean throttled, Throwable cause) {
    super(message, throttled, cause);
  }
}
