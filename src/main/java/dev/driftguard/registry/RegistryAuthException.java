package dev.driftguard.registry;

import dev.driftguard.model.BackendException;

/**
 * No credential could be obtained for a registry (ECR refused or failed, a password file is
 * unreadable). Names the registry and the cause, never a token or password.
 */
public class RegistryAuthException extends BackendException {
  private static final long serialVersionUID = 1L;
  private final String registry;

  public RegistryAuthException(
      String registry, String message, boolean throttled, Throwable cause) {
    super(message, throttled, cause);
    this.registry = registry;
  }

  public String registry() {
    return registry;
  }
}
