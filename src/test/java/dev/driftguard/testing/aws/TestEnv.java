package dev.driftguard.testing.aws;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Properties;

/**
 * Reads what {@code test/env/up} wrote about the test environment it started (the local registry's
 * password and so on) from {@code /var/tmp/driftguard-testenv/env.properties}.
 */
public final class TestEnv {
  /** Where the environment scripts write their properties. */
  public static final Path DEFAULT_FILE = Path.of("/var/tmp/driftguard-testenv/env.properties");

  /** The key of the local registry's basic-auth password (user {@code AWS}). */
  public static final String REGISTRY_PASSWORD = "registry.password";

  private TestEnv() {}

  /** The properties in {@code file}; empty when the file does not exist. */
  public static Properties load(Path file) {
    Properties properties = new Properties();
    if (!Files.isRegularFile(file)) {
      return properties;
    }
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      properties.load(reader);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read test environment file " + file, e);
    }
    return properties;
  }

  /** The local registry's password from {@link #DEFAULT_FILE}, if the environment is up. */
  public static Optional<String> registryPassword() {
    return registryPassword(DEFAULT_FILE);
  }

  public static Optional<String> registryPassword(Path file) {
    return Optional.ofNullable(load(file).getProperty(REGISTRY_PASSWORD))
        .map(String::strip)
        .filter(s -> !s.isEmpty());
  }
}
