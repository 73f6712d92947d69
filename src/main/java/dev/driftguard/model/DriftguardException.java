package dev.driftguard.model;

/**
 * Root of driftguard's small unchecked exception hierarchy. Adapters translate the errors of the
 * systems they wrap into subclasses that carry context (service, container, registry), so the loop
 * can log one line per failed pass without knowing which library failed.
 */
public class DriftguardException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public DriftguardException(String message) {
    super(message);
  }

  public DriftguardException(String message, Throwable cause) {
    super(message, cause);
  }
}
