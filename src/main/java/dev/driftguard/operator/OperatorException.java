package dev.driftguard.operator;

import dev.driftguard.model.DriftguardException;

/**
 * A refusal or failure of an operator command, worded for the operator: what is wrong and what to
 * do about it. The command prints it and exits 1.
 */
public class OperatorException extends DriftguardException {
  private static final long serialVersionUID = 1L;

  public OperatorException(String message) {
    super(message);
  }

  public OperatorException(String message, Throwable cause) {
    super(message, cause);
  }
}
