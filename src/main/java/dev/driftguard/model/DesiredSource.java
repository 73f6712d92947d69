package dev.driftguard.model;

import java.nio.file.Path;
import java.util.regex.Pattern;

/** Where a service's desired-state record lives: an SSM parameter, or a local file. */
public sealed interface DesiredSource {

  /** An SSM String parameter, e.g. {@code /driftguard/web_staging/image}. */
  record Ssm(String parameterName) implements DesiredSource {
    private static final Pattern NAME = Pattern.compile("/?[A-Za-z0-9_.\\-/]{1,2048}");

    public Ssm {
      if (!isValidName(parameterName)) {
        throw new InvalidValueException(
            "malformed SSM parameter name '" + Digest.abbreviate(parameterName) + "'");
      }
    }

    /**
     * Whether {@code name} is an SSM parameter name: letters, digits, {@code _ . - /}, at most 2048
     * characters; false for null. The configuration checks every parameter name it reads, desired
     * records and secrets ({@code container.envFromSsm}) alike, by this rule.
     */
    public static boolean isValidName(String name) {
      return name != null && NAME.matcher(name).matches();
    }
  }

  /** A local file whose whole content is the record (local and development mode). */
  record File(Path path) implements DesiredSource {
    public File {
      if (path == null) {
        throw new InvalidValueException("desired file path must be set");
      }
    }
  }
}
