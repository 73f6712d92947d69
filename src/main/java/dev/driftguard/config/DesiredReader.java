package dev.driftguard.config;

import dev.driftguard.model.DesiredSource;
import dev.driftguard.model.InvalidValueException;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Reads a service's {@code desired:} section: where the pinned image is read (an SSM parameter, by
 * default {@value #DEFAULT_SSM_PARAMETER}, or a file in local mode) and which registries a pinned
 * image may come from. The allow-list is what keeps whoever can write the parameter from pointing a
 * host at any registry, so an SSM source must have one.
 */
final class DesiredReader {
  static final String[] KEYS = {"ssmParameter", "file", "allowedRegistries"};
  static final String DEFAULT_SSM_PARAMETER = "/driftguard/{service}/image";

  private DesiredReader() {}

  /**
   * The desired-state source, or null when it has an error (reported) or needs the service's name
   * ({@code name} null: its error is already reported). Relative files resolve against {@code
   * baseDir}.
   */
  static DesiredSource source(YamlMap desired, String name, Path baseDir) {
    Problems problems = desired.problems();
    if (desired.has("ssmParameter") && desired.has("file")) {
      problems.add(desired.path(), "set exactly one of ssmParameter or file, not both");
      return null;
    }
    if (desired.has("file")) {
      return desired
          .pathValue(
              "file",
              v -> {
                if (ServicePlaceholder.awaitsName(v, name)) {
                  return null;
                }
                return new DesiredSource.File(
                    AgentSettingsReader.resolvePath(baseDir, ServicePlaceholder.fill(v, name)));
              })
          .orElse(null);
    }
    Optional<YamlMap.Text> written = desired.pathText("ssmParameter");
    if (desired.has("ssmParameter") && written.isEmpty()) {
      return null;
    }
    YamlMap.Text text =
        written.orElse(new YamlMap.Text(desired.path("ssmParameter"), DEFAULT_SSM_PARAMETER));
    if (ServicePlaceholder.awaitsName(text.value(), name)) {
      return null;
    }
    return desired
        .parse(text, v -> new DesiredSource.Ssm(ServicePlaceholder.ssmName(v, name)))
        .orElse(null);
  }

  /**
   * {@code allowedRegistries}: required and non-empty for an SSM {@code source}; for a file source
   * (local development) absent means any registry: an empty set.
   */
  static Set<String> allowedRegistries(YamlMap desired, DesiredSource source) {
    Problems problems = desired.problems();
    Set<String> registries = new LinkedHashSet<>();
    List<YamlMap.Text> written = desired.texts("allowedRegistries");
    for (YamlMap.Text text : written) {
      desired
          .parse(
              text,
              v -> {
                if (!AgentSettingsReader.REGISTRY_HOST.matcher(v).matches()) {
                  throw new InvalidValueException(
                      "'"
                          + v
                          + "' is not a registry host[:port] like"
                          + " 123456789012.dkr.ecr.us-east-1.amazonaws.com");
                }
                return v;
              })
          .ifPresent(registries::add);
    }
    if (desired.isList("allowedRegistries") && written.isEmpty()) {
      problems.add(desired.path("allowedRegistries"), "must not be empty");
    } else if (!desired.has("allowedRegistries") && source instanceof DesiredSource.Ssm) {
      problems.add(
          desired.path("allowedRegistries"),
          "required for an SSM source: the registries this host may pull from, e.g."
              + " [\"123456789012.dkr.ecr.us-east-1.amazonaws.com\"]");
    }
    return registries;
  }
}
