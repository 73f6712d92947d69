package dev.driftguard.registry;

import dev.driftguard.model.DriftguardException;

/**
 * No credential could be obtained for a registry (ECR refused or failed, a password file is
 * unreadable). Names the registry and the cause, never a token or password.
 */
public class RegistryAuthException extends DriftguardException {
  private static final long serialVersionUID = 1L;
  private final String registry;
  private final boolean throttled;

  public RegistryAuthException(
      String registry, String message, boolean throttled, Throwable cause) {
    super(message, cause);
    this.registry = registry;
    this.throttled = throttled;
  }

  public String registry() {
    return registry;
  }

  /** True when AWS throttled the token request; the caller should back off. */
  public boolean throttled() {
    return throttled;
  }
}
