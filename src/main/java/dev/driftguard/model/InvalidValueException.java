package dev.driftguard.model;

/** A value (digest, image reference, port binding, ...) that does not parse or validate. */
public class InvalidValueException extends DriftguardException {
  private static final long serialVersionUID = 1L;

  public InvalidValueException(String message) {
    super(message);
  }
}
