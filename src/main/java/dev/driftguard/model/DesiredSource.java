package dev.driftguard.model;

import java.nio.file.Path;

/** Where a service's desired-state record lives: an SSM parameter, or a local file. */
public sealed interface DesiredSource {

  /** An SSM String parameter, e.g. {@code /driftguard/web_staging/image}. */
  record Ssm(String parameterName) implements DesiredSource {
    public Ssm {
      if (parameterName == null || !parameterName.matches("/?[A-Za-z0-9_.\\-/]{1,2048}")) {
        throw new InvalidValueException(
            "malformed SSM parameter name '" + Digest.abbreviate(parameterName) + "'");
      }
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
