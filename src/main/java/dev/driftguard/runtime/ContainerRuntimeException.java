package dev.driftguard.runtime;

import dev.driftguard.model.DriftguardException;

/** A container engine call failed; the message names the container or image and the operation. */
public class ContainerRuntimeException extends DriftguardException {
  private static final long serialVersionUID = 1L;
  private final String operation;

  public ContainerRuntimeException(String operation, String message, Throwable cause) {
    super(message, cause);
    this.operation = operation;
  }

  /** The engine operation that failed (pull, create, start, ...), a metric label. */
  public String operation() {
    return operation;
  }
}
