package dev.driftguard.metrics;

import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;
import java.util.Properties;

/**
 * What {@code driftguard_build_info} says: the agent's version, the commit it was built from, and
 * the Java runtime it runs on.
 *
 * @param commit the abbreviated commit id, or {@code unknown} for a build outside a git clone
 */
public record BuildInfo(String version, String commit, String javaVersion) {
  /** Where the build writes the commit (pom.xml, git-commit-id-maven-plugin). */
  static final String RESOURCE = "/dev/driftguard/build.properties";

  static final String UNKNOWN = "unknown";

  public BuildInfo {
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(commit, "commit");
    Objects.requireNonNull(javaVersion, "javaVersion");
  }

  /** This process: {@code version} as the agent reports it, the built-in commit, this JVM. */
  public static BuildInfo current(String version) {
    return new BuildInfo(version, builtCommit(), Runtime.version().toString());
  }

  private static String builtCommit() {
    try (InputStream in = BuildInfo.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        return UNKNOWN;
      }
      Properties properties = new Properties();
      properties.load(in);
      String commit = properties.getProperty("git.commit.id.abbrev", "").strip();
      return commit.isEmpty() ? UNKNOWN : commit;
    } catch (IOException e) {
      return UNKNOWN;
    }
  }
}
