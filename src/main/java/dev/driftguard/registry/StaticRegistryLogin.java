package dev.driftguard.registry;

import dev.driftguard.model.InvalidValueException;
import java.nio.file.Path;

/**
 * A configured login for a registry that is not ECR. The password lives in a file (mode 0600, owned
 * by the agent's user) that is read at each use, so rotating it needs no agent restart and the
 * configuration never holds a secret.
 */
public record StaticRegistryLogin(String username, Path passwordFile) {
  public StaticRegistryLogin {
    if (username == null || username.isBlank()) {
      throw new InvalidValueException("a registry login needs a username");
    }
    if (passwordFile == null) {
      throw new InvalidValueException("a registry login needs a password file");
    }
  }
}
