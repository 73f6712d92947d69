package dev.driftguard.model;

/**
 * A system behind one of the agent's ports (an AWS API, a desired-state file, a credential store)
 * failed or refused. {@link #throttled} says it refused for the rate of calls: the caller backs off
 * instead of counting a fault, since every host of the fleet shares the same account-wide limits
 * (DESIGN 4). Each adapter's subclass says what could not be done.
 */
public abstract class BackendException extends DriftguardException {
  private static final long serialVersionUID = 1L;
  private final boolean throttled;

  protected BackendException(String message, boolean throttled, Throwable cause) {
    super(message, cause);
    this.throttled = throttled;
  }

  /** True when the backend throttled the call; the caller should back off. */
  public boolean throttled() {
    return throttled;
  }
}
