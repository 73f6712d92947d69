package dev.driftguard.desired;

import dev.driftguard.model.DriftguardException;

/** The desired-state backend could not be read; {@code throttled} asks the loop to back off. */
public class DesiredStateUnavailableException extends DriftguardException {
  private static final long serialVersionUID = 1L;
  private final boolean throttled;

  public DesiredStateUnavailableException(String message, boolean throttled, Throwable cause) {
    super(message, cause);
    this.throttled = throttled;
  }

  public boolean throttled() {
    return throttled;
  }
}
