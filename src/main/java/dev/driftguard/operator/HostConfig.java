package dev.driftguard.operator;

import dev.driftguard.config.AgentConfig;
import dev.driftguard.config.AgentSettings;
import dev.driftguard.config.ConfigException;
import dev.driftguard.config.ConfigLoader;
import dev.driftguard.config.TagLookup;
import dev.driftguard.model.ServiceSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The hosts' configuration file as an operator command reads it. A host configuration is written
 * for any instance ({@code name: "${tag:Name}"}) and there is no instance to ask here, so it is
 * read in up to three ways, the first that works winning:
 *
 * <ol>
 *   <li>as it is, without tags: right for literal service names;
 *   <li>with the service named on the command line standing in for the {@code Name} tag, the
 *       convention of DESIGN 2.2 ({@code driftguard pin web_staging} means the hosts whose Name tag
 *       is {@code web_staging}): right for {@code ${tag:Name}} services;
 *   <li>with a stand-in for every tag, for the {@code agent:} section only (region, endpoints,
 *       status address). Its services are dropped: a guessed tag must never choose the parameter
 *       {@code pin} writes.
 * </ol>
 *
 * A missing file is an operator machine without a host configuration: the defaults apply.
 *
 * @param file the file
 * @param agent the {@code agent:} section, or the defaults
 * @param config the whole configuration, or null when it could only be read in the third way or
 *     does not exist
 * @param problems why the file could not be read in the first two ways (empty when it could)
 */
record HostConfig(Path file, AgentSettings agent, AgentConfig config, List<String> problems) {

  HostConfig {
    problems = List.copyOf(problems);
  }

  /**
   * Reads {@code file}.
   *
   * @param service the service on the command line, or null
   * @throws ConfigException when not even the {@code agent:} section can be read
   */
  static HostConfig read(Path file, Map<String, String> environment, String service) {
    if (!Files.exists(file)) {
      return new HostConfig(file, AgentSettings.defaults(), null, List.of());
    }
    ConfigException first;
    try {
      AgentConfig config = ConfigLoader.load(file, environment, TagLookup.none());
      return new HostConfig(file, config.agent(), config, List.of());
    } catch (ConfigException e) {
      first = e;
    }
    if (service != null) {
      try {
        AgentConfig config =
            ConfigLoader.load(file, environment, TagLookup.of(Map.of("Name", service)));
        return new HostConfig(file, config.agent(), config, List.of());
      } catch (ConfigException e) {
        // Another tag, or a clash with a literal service of that name; fall through.
      }
    }
    try {
      AgentConfig config =
          ConfigLoader.load(
              file,
              environment,
              key -> Optional.of("tag-" + key.replaceAll("[^A-Za-z0-9_.-]", "-")));
      return new HostConfig(file, config.agent(), null, first.errors());
    } catch (ConfigException e) {
      throw first;
    }
  }

  boolean exists() {
    return config != null || !problems.isEmpty();
  }

  /** The configured service called {@code name}, when the configuration could be read for it. */
  Optional<ServiceSpec> service(String name) {
    return config == null ? Optional.empty() : config.service(name);
  }

  /** Why {@link #service} found nothing, for an error message. */
  String whyNoService(String name) {
    if (!exists()) {
      return "there is no host configuration at " + file;
    }
    if (config == null) {
      return file + " could not be read for " + name + " (" + problems.get(0) + ")";
    }
    return file
        + " has no service "
        + name
        + " (it has: "
        + String.join(", ", config.services().stream().map(ServiceSpec::name).toList())
        + ")";
  }
}
