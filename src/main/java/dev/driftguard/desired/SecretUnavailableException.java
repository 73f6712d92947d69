package dev.driftguard.desired;

import dev.driftguard.model.BackendException;
import java.util.List;

/**
 * A secret could not be resolved: it does not exist ({@link #missing()} names it), or the backend
 * failed. Carries parameter names only, never a value.
 */
public class SecretUnavailableException extends BackendException {
  private static final long serialVersionUID = 1L;
  private final List<String> missing;

  public SecretUnavailableException(
      String message, List<String> missing, boolean throttled, Throwable cause) {
    super(message, throttled, cause);
    this.missing = List.copyOf(missing);
  }

  /** Names that do not exist; empty when the backend failed instead. */
  public List<String> missing() {
    return missing;
  }
}
