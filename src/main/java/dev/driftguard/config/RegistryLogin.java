package dev.driftguard.config;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Basic-auth credentials for a registry that is not ECR ({@code agent.registries}). Only the path
 * of the password file is kept: the secret is read when a pull needs it, so it never sits in the
 * configuration object, its {@code toString()} or a validation message, and rotating the file needs
 * no restart.
 */
public record RegistryLogin(String host, String username, Path passwordFile) {
  public RegistryLogin {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(username, "username");
    Objects.requireNonNull(passwordFile, "passwordFile");
  }
}
