package dev.driftguard.config;

import dev.driftguard.model.ContainerSpec;
import dev.driftguard.model.InvalidValueException;
import dev.driftguard.model.PortBinding;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a service's {@code container:} section: how the container runs (ports, environment,
 * volumes, command, how it stops, its memory limit) and its Docker name. Each value is checked
 * here, where the error can name its field, rather than failing later at container creation in the
 * middle of a deploy. The ports are read first and on their own, because the health, traffic and
 * rollout sections and the checks across services all refer to them.
 */
final class ContainerReader {
  static final String[] KEYS = {
    "name",
    "ports",
    "env",
    "envFromSsm",
    "volumes",
    "command",
    "stopSignal",
    "stopTimeout",
    "memory"
  };
  static final Duration DEFAULT_STOP_TIMEOUT = Duration.ofSeconds(30);

  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final Pattern MEMORY =
      Pattern.compile("(\\d+)\\s*([kmgt])?(?:i?b)?", Pattern.CASE_INSENSITIVE);

  /** Docker refuses smaller limits; say so here rather than at container creation. */
  private static final long MIN_MEMORY = 6L * 1024 * 1024;

  private static final Set<String> SIGNALS =
      Set.of(
          "SIGHUP",
          "SIGINT",
          "SIGQUIT",
          "SIGILL",
          "SIGTRAP",
          "SIGABRT",
          "SIGBUS",
          "SIGFPE",
          "SIGKILL",
          "SIGUSR1",
          "SIGSEGV",
          "SIGUSR2",
          "SIGPIPE",
          "SIGALRM",
          "SIGTERM",
          "SIGSTKFLT",
          "SIGCHLD",
          "SIGCONT",
          "SIGSTOP",
          "SIGTSTP",
          "SIGTTIN",
          "SIGTTOU",
          "SIGURG",
          "SIGXCPU",
          "SIGXFSZ",
          "SIGVTALRM",
          "SIGPROF",
          "SIGWINCH",
          "SIGIO",
          "SIGPWR",
          "SIGSYS");

  private ContainerReader() {}

  /** {@code ports}, in file order; two entries of this service that clash are reported. */
  static List<PublishedPort> ports(YamlMap container) {
    Problems problems = container.problems();
    List<PublishedPort> ports = new ArrayList<>();
    for (YamlMap.Text text : container.texts("ports")) {
      Optional<PortBinding> binding = container.parse(text, PortBinding::parse);
      if (binding.isEmpty()) {
        continue;
      }
      for (PublishedPort other : ports) {
        if (PublishedPort.conflict(other.binding(), binding.get())) {
          problems.add(
              text.path(),
              "host port " + binding.get().hostPort() + " is already published by " + other.path());
        }
      }
      ports.add(new PublishedPort(binding.get(), text.path()));
    }
    return ports;
  }

  /**
   * The run settings, with {@code ports} as read by {@link #ports}; {@code name} is the service's
   * name for {@code {service}} in envFromSsm (null when it did not validate).
   */
  static ContainerSpec spec(YamlMap container, List<PublishedPort> ports, String name) {
    Problems problems = container.problems();

    Map<String, String> env = new LinkedHashMap<>();
    for (Map.Entry<String, YamlMap.Text> entry : container.textMap("env").entrySet()) {
      if (checkEnvName(entry.getKey(), entry.getValue().path(), problems)) {
        env.put(entry.getKey(), entry.getValue().value());
      }
    }
    Map<String, String> envFromSsm = new LinkedHashMap<>();
    for (Map.Entry<String, YamlMap.Text> entry : container.pathTextMap("envFromSsm").entrySet()) {
      YamlMap.Text text = entry.getValue();
      if (!checkEnvName(entry.getKey(), text.path(), problems)) {
        continue;
      }
      if (env.containsKey(entry.getKey())) {
        problems.add(text.path(), "'" + entry.getKey() + "' is also set in env; keep one");
        continue;
      }
      if (ServicePlaceholder.awaitsName(text.value(), name)) {
        continue;
      }
      container
          .parse(text, v -> ServicePlaceholder.ssmName(v, name))
          .ifPresent(v -> envFromSsm.put(entry.getKey(), v));
    }

    List<String> volumes = new ArrayList<>();
    for (YamlMap.Text text : container.pathTexts("volumes")) {
      container.parse(text, ContainerReader::volume).ifPresent(volumes::add);
    }

    List<String> command = new ArrayList<>();
    if (container.has("command") && !container.isList("command")) {
      problems.add(
          container.path("command"),
          "must be a list, e.g. [\"bundle\", \"exec\", \"puma\"] (one string would need a shell"
              + " to split it)");
    } else {
      container.texts("command").forEach(t -> command.add(t.value()));
    }

    String stopSignal = container.value("stopSignal", ContainerReader::signal).orElse("SIGTERM");
    Duration stopTimeout =
        container.value("stopTimeout", ContainerReader::stopTimeout).orElse(DEFAULT_STOP_TIMEOUT);
    long memory = container.value("memory", ContainerReader::memoryBytes).orElse(0L);

    return new ContainerSpec(
        ports.stream().map(PublishedPort::binding).toList(),
        env,
        envFromSsm,
        volumes,
        command,
        stopSignal,
        stopTimeout,
        memory);
  }

  /** {@code name}: the Docker name of the serving container, by default the service's. */
  static String name(YamlMap container, String serviceName) {
    return container.textValue("name", ServiceReader.name("container")).orElse(serviceName);
  }

  private static boolean checkEnvName(String name, String path, Problems problems) {
    if (!ENV_NAME.matcher(name).matches()) {
      problems.add(path, "'" + name + "' is not a variable name (letters, digits, _)");
      return false;
    }
    return true;
  }

  static String volume(String value) {
    String[] parts = value.split(":", -1);
    if (parts.length < 2 || parts.length > 3) {
      throw new InvalidValueException("'" + value + "' is not /host/path:/container/path[:ro|rw]");
    }
    if (!parts[0].startsWith("/")) {
      throw new InvalidValueException(
          "'" + value + "': the host path must be absolute (named volumes are not supported)");
    }
    if (!parts[1].startsWith("/")) {
      throw new InvalidValueException("'" + value + "': the container path must be absolute");
    }
    if (parts.length == 3 && !parts[2].equals("ro") && !parts[2].equals("rw")) {
      throw new InvalidValueException("'" + value + "': the mode must be ro or rw");
    }
    return value;
  }

  /** A signal name as Docker takes it: {@code quit} and {@code SIGQUIT} both become SIGQUIT. */
  static String signal(String value) {
    String upper = value.strip().toUpperCase(Locale.ROOT);
    String name = upper.startsWith("SIG") ? upper : "SIG" + upper;
    if (!SIGNALS.contains(name)) {
      throw new InvalidValueException(
          "'" + value + "' is not a signal name like SIGTERM, SIGINT or SIGQUIT");
    }
    return name;
  }

  /**
   * Whole seconds (Docker counts the stop timeout in seconds), bounded by how long the Docker
   * client waits for the engine to answer a stop.
   */
  private static Duration stopTimeout(String value) {
    Duration d = Durations.parse(value);
    if (d.toMillisPart() != 0) {
      throw new InvalidValueException(
          "'" + value + "' must be whole seconds (Docker counts the stop timeout in seconds)");
    }
    if (d.compareTo(ContainerSpec.MAX_STOP_TIMEOUT) > 0) {
      throw new InvalidValueException(
          Durations.aboveMaximum(
              d,
              ContainerSpec.MAX_STOP_TIMEOUT,
              "the Docker client waits "
                  + Durations.format(ContainerSpec.dockerResponseTimeout())
                  + " for the engine to answer a stop, which comes after the stop"
                  + " timeout and then the kill"));
    }
    return d;
  }

  /** A memory limit in bytes: a number, or with a unit k, m, g, t (powers of 1024); 0 is none. */
  static long memoryBytes(String value) {
    Matcher m = MEMORY.matcher(value.strip());
    if (!m.matches()) {
      throw new InvalidValueException(
          "'" + value + "' is not a size (e.g. 512m, 1g, or bytes like 268435456)");
    }
    long unit =
        m.group(2) == null
            ? 1
            : switch (Character.toLowerCase(m.group(2).charAt(0))) {
              case 'k' -> 1L << 10;
              case 'm' -> 1L << 20;
              case 'g' -> 1L << 30;
              default -> 1L << 40;
            };
    long bytes;
    try {
      bytes = Math.multiplyExact(Long.parseLong(m.group(1)), unit);
    } catch (ArithmeticException | NumberFormatException e) {
      throw new InvalidValueException("'" + value + "' is too large");
    }
    if (bytes != 0 && bytes < MIN_MEMORY) {
      throw new InvalidValueException(
          "'" + value + "' is below Docker's minimum of 6m (0 means no limit)");
    }
    return bytes;
  }
}
