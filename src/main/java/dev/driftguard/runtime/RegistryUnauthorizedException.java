package dev.driftguard.runtime;

/** The registry refused the pull with 401 or 403: the credential is missing, wrong or expired. */
public class RegistryUnauthorizedException extends ImagePullException {
  private static final long serialVersionUID = 1L;
  private final String registry;

  public RegistryUnauthorizedException(String registry, String message, Throwable cause) {
    super(message, cause);
    this.registry = registry;
  }

  public String registry() {
    return registry;
  }
}
