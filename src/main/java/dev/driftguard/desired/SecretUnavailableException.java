package dev.driftguard.desired;

import dev.driftguard.model.DriftguardException;
import java.util.List;

/**
 * A secret could not be resolved: it does not exist ({@link #missing()} names it), or the backend
 * failed. Carries parameter names only, never a value.
 */
public class SecretUnavailableException extends DriftguardException {
  private static final long serialVersionUID = 1L;
  private final List<String> missing;
  private final boolean throttled;

  public SecretUnavailableException(
      String message, List<String> missing, boolean throttled, Throwable cause) {
    super(message, cause);
    this.missing = List.copyOf(missing);
    this.throttled = throttled;
  }

  /** Names that do not exist; empty when the backend failed instead. */
  public List<String> missing() {
    return missing;
  }

  /** True when the backend throttled the read; the caller should back off. */
  public boolean throttled() {
    return throttled;
  }
}
