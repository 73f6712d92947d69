package dev.driftguard.testing;

import dev.driftguard.model.ImageRef;
import dev.driftguard.model.RegistryCredential;
import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * The test environment that {@code test/env/up} started (Docker engine, ECR-like registry, test
 * images), as described by its {@code env.properties}. Integration tests load it once and fail with
 * a clear message when the environment is not up.
 */
public final class TestEnv {
  /** Where test/env/up writes its description; the system property lets a run point elsewhere. */
  private static final String DEFAULT_DIR = "/var/tmp/driftguard-testenv";

  private final Properties properties;
  private final Path file;

  private TestEnv(Path file, Properties properties) {
    this.file = file;
    this.properties = properties;
  }

  /** Loads {@code env.properties}; throws when test/env/up has not been run. */
  public static TestEnv load() {
    Path dir = Path.of(System.getProperty("driftguard.testenv.dir", DEFAULT_DIR));
    Path file = dir.resolve("env.properties");
    if (!Files.isRegularFile(file)) {
      throw new IllegalStateException(
          file
              + " is missing: run test/env/up first (as root) to start the Docker engine and"
              + " the test registry");
    }
    Properties properties = new Properties();
    try (Reader reader = Files.newBufferedReader(file)) {
      properties.load(reader);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + file + ": " + e.getMessage(), e);
    }
    return new TestEnv(file, properties);
  }

  /** A property that must be there; the message names the file to regenerate. */
  public String get(String key) {
    String value = properties.getProperty(key);
    if (value == null || value.isBlank()) {
      throw new IllegalStateException(
          file + " has no '" + key + "': run test/env/up again to rewrite it");
    }
    return value.strip();
  }

  /** The engine's address, e.g. {@code unix:///var/run/docker.sock}. */
  public URI dockerHost() {
    return URI.create(get("docker.host"));
  }

  /** The ECR-look-alike registry host name. */
  public String registryHost() {
    return get("registry.host");
  }

  /** The login the registry accepts (user {@code AWS}). */
  public RegistryCredential credential() {
    return new RegistryCredential(
        registryHost(), get("registry.username"), get("registry.password"), null);
  }

  /** {@code REGISTRY/REPOSITORY} of the test images. */
  public String repository() {
    return get("image.repository");
  }

  /** A test image pinned by digest: {@code v1}, {@code v2}, {@code unhealthy} or {@code crash}. */
  public ImageRef image(String variant) {
    return ImageRef.parse(get("image." + variant + ".ref"));
  }

  /** The container port the web images listen on. */
  public int imagePort() {
    return Integer.parseInt(get("image.port"));
  }

  /** Where test/env/up writes its description by default. */
  public static final Path DEFAULT_FILE = Path.of(DEFAULT_DIR, "env.properties");

  /** The key of the local registry's basic-auth password (user {@code AWS}). */
  public static final String REGISTRY_PASSWORD = "registry.password";

  /**
   * The properties in {@code file}, empty when it does not exist: for equipment such as the local
   * AWS endpoint that also works without the test environment.
   */
  public static Properties properties(Path file) {
    Properties properties = new Properties();
    if (!Files.isRegularFile(file)) {
      return properties;
    }
    try (Reader reader = Files.newBufferedReader(file, java.nio.charset.StandardCharsets.UTF_8)) {
      properties.load(reader);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read test environment file " + file, e);
    }
    return properties;
  }

  /** The local registry's password from {@link #DEFAULT_FILE}, if the environment is up. */
  public static java.util.Optional<String> registryPassword() {
    return registryPassword(DEFAULT_FILE);
  }

  public static java.util.Optional<String> registryPassword(Path file) {
    return java.util.Optional.ofNullable(properties(file).getProperty(REGISTRY_PASSWORD))
        .map(String::strip)
        .filter(v -> !v.isEmpty());
  }
}
