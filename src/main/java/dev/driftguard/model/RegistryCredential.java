package dev.driftguard.model;

import java.time.Instant;

/**
 * A registry login. {@code expiresAt} is null for credentials that do not expire. The password
 * never appears in {@link #toString()}.
 */
public record RegistryCredential(
    String registry, String username, String password, Instant expiresAt) {

  @Override
  public String toString() {
    return "RegistryCredential[registry="
        + registry
        + ", username="
        + username
        + ", password=<redacted>, expiresAt="
        + expiresAt
        + "]";
  }
}
