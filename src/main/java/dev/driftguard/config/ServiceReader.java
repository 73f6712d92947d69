package dev.driftguard.config;

import dev.driftguard.model.ContainerSpec;
import dev.driftguard.model.DesiredSource;
import dev.driftguard.model.HealthSpec;
import dev.driftguard.model.InvalidValueException;
import dev.driftguard.model.PortBinding;
import dev.driftguard.model.RolloutSpec;
import dev.driftguard.model.ServiceSpec;
import dev.driftguard.model.TargetGroupArn;
import dev.driftguard.model.TrafficSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads one entry of {@code services:} into a {@link ServiceSpec}. Checks that need the other
 * services (unique names, host ports) are left to {@link ConfigLoader}, which gets a {@link Draft}
 * even when this service has errors, so those checks still run.
 */
final class ServiceReader {
  static final String[] KEYS = {"name", "desired", "container", "health", "traffic", "rollout"};
  static final String DEFAULT_SSM_PARAMETER = "/driftguard/{service}/image";
  static final Duration DEFAULT_STOP_TIMEOUT = Duration.ofSeconds(30);
  static final String DEFAULT_HEALTH_PATH = "/healthz";
  static final Duration DEFAULT_HEALTH_INTERVAL = Duration.ofSeconds(2);
  static final Duration DEFAULT_HEALTH_TIMEOUT = Duration.ofSeconds(1);
  static final int DEFAULT_HEALTHY_THRESHOLD = 2;
  static final Duration DEFAULT_HEALTH_DEADLINE = Duration.ofSeconds(120);
  static final Duration DEFAULT_DRAIN_TIMEOUT_CAP = Duration.ofSeconds(300);
  static final Duration DEFAULT_TRAFFIC_HEALTHY_DEADLINE = Duration.ofSeconds(300);

  // Upper bounds. Each value bounds how long one deploy step may hold a host out of service or
  // hold a fleet slot; a typo like 30m for 30s must fail validation, not every rollout.
  static final Duration MAX_HEALTH_INTERVAL = Duration.ofMinutes(5);
  static final Duration MAX_HEALTH_TIMEOUT = Duration.ofMinutes(1);
  static final Duration MAX_HEALTH_DEADLINE = Duration.ofMinutes(30);

  /** ELBv2's own maximum deregistration delay (3600 s). */
  static final Duration MAX_DRAIN_TIMEOUT = Duration.ofHours(1);

  /**
   * ELBv2 needs at most healthy threshold 10 x interval 300 s = 50 min to call a target healthy.
   */
  static final Duration MAX_TRAFFIC_HEALTHY_DEADLINE = Duration.ofHours(1);

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

  /** A published port and where it was written. */
  record Published(PortBinding binding, String path) {}

  /**
   * What the cross-service checks need. {@code name} is null when it did not validate; {@code spec}
   * is null when this service has any error.
   */
  record Draft(
      String name,
      String namePath,
      List<Published> ports,
      int nextPort,
      String nextPortPath,
      ServiceSpec spec) {}

  private ServiceReader() {}

  static Draft read(YamlMap service, Path baseDir) {
    Problems problems = service.problems();
    int errorsBefore = problems.count();

    String name = readName(service);

    YamlMap desiredMap = service.map("desired", "ssmParameter", "file", "allowedRegistries");
    DesiredSource desired = readDesired(desiredMap, name, baseDir);
    Set<String> allowedRegistries = readAllowedRegistries(desiredMap, desired);

    YamlMap containerMap =
        service.map(
            "container",
            "name",
            "ports",
            "env",
            "envFromSsm",
            "volumes",
            "command",
            "stopSignal",
            "stopTimeout",
            "memory");
    List<Published> ports = readPorts(containerMap);
    ContainerSpec container = readContainer(containerMap, ports, name);
    String containerName =
        containerMap
            .value(
                "name",
                v -> {
                  if (!ServiceSpec.isValidName(v)) {
                    throw new InvalidValueException(
                        "'" + v + "' is not a valid container name (letters, digits, _ . -)");
                  }
                  return v;
                })
            .orElse(name);

    YamlMap healthMap =
        service.map(
            "health",
            "type",
            "port",
            "path",
            "interval",
            "timeout",
            "healthyThreshold",
            "deadline");
    HealthSpec health = readHealth(healthMap, ports);

    TrafficSpec traffic = null;
    if (service.has("traffic")) {
      traffic =
          readTraffic(
              service.map(
                  "traffic",
                  "targetGroupArn",
                  "port",
                  "drainTimeout",
                  "drainTimeoutCap",
                  "healthyDeadline"),
              ports,
              health);
    }

    YamlMap rolloutMap =
        service.map("rollout", "strategy", "maxUnavailable", "rollback", "nextPort", "runOnce");
    RolloutSpec rollout = readRollout(rolloutMap, ports);

    ServiceSpec spec = null;
    if (problems.count() == errorsBefore) {
      try {
        spec =
            new ServiceSpec(
                name,
                desired,
                allowedRegistries,
                container,
                health,
                traffic,
                rollout,
                containerName);
      } catch (InvalidValueException e) {
        // The checks above mirror the model's; this only fires if the two drift apart.
        problems.add(service.path(), e.getMessage());
      }
    }
    return new Draft(
        name,
        service.path("name"),
        ports,
        rollout == null ? 0 : rollout.nextHostPort(),
        rolloutMap.path("nextPort"),
        spec);
  }

  private static String readName(YamlMap service) {
    if (!service.has("name")) {
      service
          .problems()
          .add(service.path("name"), "required (a literal like web_staging, or \"${tag:Name}\")");
      return null;
    }
    return service
        .value(
            "name",
            v -> {
              if (!ServiceSpec.isValidName(v)) {
                throw new InvalidValueException(
                    "'"
                        + v
                        + "' is not a valid service name (letters, digits, _ . -;"
                        + " starting with a letter or digit; at most 63 characters)");
              }
              return v;
            })
        .orElse(null);
  }

  private static DesiredSource readDesired(YamlMap desired, String name, Path baseDir) {
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
                if (v.contains("{service}") && name == null) {
                  return null; // the name error is already reported
                }
                return new DesiredSource.File(
                    AgentSettingsReader.resolvePath(baseDir, withService(v, name)));
              })
          .orElse(null);
    }
    Optional<YamlMap.Text> written = desired.pathText("ssmParameter");
    if (desired.has("ssmParameter") && written.isEmpty()) {
      return null;
    }
    YamlMap.Text text =
        written.orElse(new YamlMap.Text(desired.path("ssmParameter"), DEFAULT_SSM_PARAMETER));
    if (text.value().contains("{service}") && name == null) {
      return null;
    }
    return desired
        .parse(text, v -> new DesiredSource.Ssm(checkSsmName(withService(v, name))))
        .orElse(null);
  }

  private static Set<String> readAllowedRegistries(YamlMap desired, DesiredSource source) {
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

  private static List<Published> readPorts(YamlMap container) {
    Problems problems = container.problems();
    List<Published> ports = new ArrayList<>();
    for (YamlMap.Text text : container.texts("ports")) {
      Optional<PortBinding> binding = container.parse(text, PortBinding::parse);
      if (binding.isEmpty()) {
        continue;
      }
      for (Published other : ports) {
        if (conflict(other.binding(), binding.get())) {
          problems.add(
              text.path(),
              "host port " + binding.get().hostPort() + " is already published by " + other.path());
        }
      }
      ports.add(new Published(binding.get(), text.path()));
    }
    return ports;
  }

  /** Two bindings clash when they would bind the same host address, port and protocol. */
  static boolean conflict(PortBinding a, PortBinding b) {
    return a.hostPort() == b.hostPort()
        && a.protocol().equals(b.protocol())
        && (a.hostIp().equals(b.hostIp()) || isWildcard(a.hostIp()) || isWildcard(b.hostIp()));
  }

  private static boolean isWildcard(String ip) {
    return ip.isEmpty() || ip.equals("0.0.0.0") || ip.equals("::");
  }

  private static ContainerSpec readContainer(
      YamlMap container, List<Published> ports, String name) {
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
      if (text.value().contains("{service}") && name == null) {
        continue;
      }
      container
          .parse(text, v -> checkSsmName(withService(v, name)))
          .ifPresent(v -> envFromSsm.put(entry.getKey(), v));
    }

    List<String> volumes = new ArrayList<>();
    for (YamlMap.Text text : container.pathTexts("volumes")) {
      container.parse(text, ServiceReader::volume).ifPresent(volumes::add);
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

    String stopSignal = container.value("stopSignal", ServiceReader::signal).orElse("SIGTERM");
    Duration stopTimeout =
        container
            .value(
                "stopTimeout",
                v -> {
                  Duration d = Durations.parse(v);
                  if (d.toMillisPart() != 0) {
                    throw new InvalidValueException(
                        "'"
                            + v
                            + "' must be whole seconds (Docker counts the stop timeout in"
                            + " seconds)");
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
                })
            .orElse(DEFAULT_STOP_TIMEOUT);
    long memory = container.value("memory", ServiceReader::memoryBytes).orElse(0L);

    return new ContainerSpec(
        ports.stream().map(Published::binding).toList(),
        env,
        envFromSsm,
        volumes,
        command,
        stopSignal,
        stopTimeout,
        memory);
  }

  private static HealthSpec readHealth(YamlMap health, List<Published> ports) {
    Problems problems = health.problems();
    HealthSpec.Type type =
        health
            .value(
                "type",
                v -> {
                  try {
                    return HealthSpec.Type.valueOf(v.toUpperCase(Locale.ROOT));
                  } catch (IllegalArgumentException e) {
                    throw new InvalidValueException(
                        "'" + v + "' is not one of docker, http, tcp, none");
                  }
                })
            .orElse(health.has("type") ? null : HealthSpec.Type.DOCKER);
    boolean probes = type == HealthSpec.Type.HTTP || type == HealthSpec.Type.TCP;

    int port = 0;
    if (probes) {
      if (!health.has("port")) {
        problems.add(
            health.path("port"),
            "required for " + lower(type) + " health checks" + " (the container port to probe)");
      } else {
        port = health.port("port").orElse(0);
        int containerPort = port;
        boolean published =
            ports.stream()
                .anyMatch(
                    p ->
                        p.binding().containerPort() == containerPort
                            && p.binding().protocol().equals("tcp"));
        if (port != 0 && !published) {
          problems.add(
              health.path("port"),
              "container port "
                  + port
                  + " is not published in container.ports (probes go"
                  + " through the host port; add e.g. \""
                  + port
                  + ":"
                  + port
                  + "\")");
        }
      }
    } else if (type != null && health.has("port")) {
      problems.add(health.path("port"), "is used only by http and tcp health checks");
    }

    String path = null;
    if (health.has("path") && type != null && type != HealthSpec.Type.HTTP) {
      problems.add(health.path("path"), "is used only by http health checks");
    } else if (type == HealthSpec.Type.HTTP) {
      path =
          health
              .value(
                  "path",
                  v -> {
                    if (!v.startsWith("/")) {
                      throw new InvalidValueException("'" + v + "' must start with '/'");
                    }
                    return v;
                  })
              .orElse(DEFAULT_HEALTH_PATH);
    }

    Duration interval =
        positive(health, "interval")
            .filter(
                d ->
                    atMost(
                        health,
                        "interval",
                        d,
                        MAX_HEALTH_INTERVAL,
                        "probes further apart cannot tell a healthy container in time"))
            .orElse(DEFAULT_HEALTH_INTERVAL);
    Duration timeout =
        positive(health, "timeout")
            .filter(
                d ->
                    atMost(
                        health,
                        "timeout",
                        d,
                        MAX_HEALTH_TIMEOUT,
                        "a probe that needs longer counts as failed"))
            .orElse(DEFAULT_HEALTH_TIMEOUT);
    if (timeout.compareTo(interval) > 0) {
      problems.add(
          health.path("timeout"),
          Durations.format(timeout)
              + " is longer than the interval ("
              + Durations.format(interval)
              + "): a probe must end before the next one is due");
    }
    int threshold = health.integer("healthyThreshold", 1, 100).orElse(DEFAULT_HEALTHY_THRESHOLD);
    Duration deadline =
        positive(health, "deadline")
            .filter(
                d ->
                    atMost(
                        health,
                        "deadline",
                        d,
                        MAX_HEALTH_DEADLINE,
                        "a stop-first host is out of service and holds a fleet slot until then"))
            .orElse(DEFAULT_HEALTH_DEADLINE);
    // The passing probes must fit in the deadline, or every deploy would roll back.
    Duration needed = interval.multipliedBy(threshold - 1L).plus(timeout);
    if (deadline.compareTo(needed) < 0) {
      problems.add(
          health.path("deadline"),
          Durations.format(deadline)
              + " is too short for "
              + threshold
              + " passing probes "
              + Durations.format(interval)
              + " apart (needs at least "
              + Durations.format(needed)
              + ")");
    }
    if (type == null || (probes && port == 0)) {
      return null;
    }
    int probePort = port;
    String probePath = path;
    return construct(
        problems,
        health.path(),
        () -> new HealthSpec(type, probePort, probePath, interval, timeout, threshold, deadline));
  }

  private static TrafficSpec readTraffic(
      YamlMap traffic, List<Published> ports, HealthSpec health) {
    Problems problems = traffic.problems();
    TargetGroupArn arn = traffic.value("targetGroupArn", TargetGroupArn::parse).orElse(null);
    if (!traffic.has("targetGroupArn")) {
      problems.add(
          traffic.path("targetGroupArn"),
          "required (arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID);"
              + " omit traffic for services without a load balancer");
    }

    int port = 0;
    List<PortBinding> tcp =
        ports.stream().map(Published::binding).filter(p -> p.protocol().equals("tcp")).toList();
    if (traffic.has("port")) {
      port = traffic.port("port").orElse(0);
      int hostPort = port;
      if (port != 0 && tcp.stream().noneMatch(p -> p.hostPort() == hostPort)) {
        problems.add(
            traffic.path("port"),
            "host port "
                + port
                + " is not published in container.ports (the target group"
                + " sends traffic to a host port)");
      }
    } else if (health != null && health.port() != 0) {
      port =
          tcp.stream()
              .filter(p -> p.containerPort() == health.port())
              .mapToInt(PortBinding::hostPort)
              .findFirst()
              .orElse(0);
    } else if (tcp.size() == 1) {
      port = tcp.get(0).hostPort();
    } else if (tcp.isEmpty()) {
      problems.add(
          traffic.path("port"),
          "the service publishes no tcp port for the target group (add one to container.ports)");
    } else {
      problems.add(
          traffic.path("port"),
          "required: the service publishes "
              + tcp.size()
              + " tcp ports and no http/tcp"
              + " health port says which one the target group uses");
    }

    String drainWhy = "ELBv2's longest deregistration delay; a draining host holds a fleet slot";
    Duration drainTimeout =
        traffic
            .value("drainTimeout", v -> v.equals("auto") ? Duration.ZERO : Durations.parse(v))
            .filter(d -> atMost(traffic, "drainTimeout", d, MAX_DRAIN_TIMEOUT, drainWhy))
            .orElse(Duration.ZERO);
    boolean autoDrain = traffic.string("drainTimeout").map(v -> v.equals("auto")).orElse(true);
    Duration cap =
        traffic
            .duration("drainTimeoutCap")
            .filter(d -> atMost(traffic, "drainTimeoutCap", d, MAX_DRAIN_TIMEOUT, drainWhy))
            .orElse(DEFAULT_DRAIN_TIMEOUT_CAP);
    Duration healthyDeadline =
        positive(traffic, "healthyDeadline")
            .filter(
                d ->
                    atMost(
                        traffic,
                        "healthyDeadline",
                        d,
                        MAX_TRAFFIC_HEALTHY_DEADLINE,
                        "ELBv2 calls a target healthy within 50 minutes at its slowest settings"))
            .orElse(DEFAULT_TRAFFIC_HEALTHY_DEADLINE);
    if (arn == null || port == 0) {
      return null;
    }
    int targetPort = port;
    return construct(
        problems,
        traffic.path(),
        () ->
            new TrafficSpec(
                arn, targetPort, autoDrain ? null : drainTimeout, cap, healthyDeadline));
  }

  private static RolloutSpec readRollout(YamlMap rollout, List<Published> ports) {
    Problems problems = rollout.problems();
    RolloutSpec.Strategy strategy =
        rollout
            .value(
                "strategy",
                v -> {
                  switch (v) {
                    case "stop-first":
                      return RolloutSpec.Strategy.STOP_FIRST;
                    case "start-first":
                      return RolloutSpec.Strategy.START_FIRST;
                    default:
                      throw new InvalidValueException(
                          "'" + v + "' is not stop-first or start-first");
                  }
                })
            .orElse(rollout.has("strategy") ? null : RolloutSpec.Strategy.STOP_FIRST);

    int maxUnavailable = 1;
    boolean percent = false;
    Optional<YamlMap.Text> max = rollout.text("maxUnavailable");
    if (max.isPresent()) {
      Matcher m = Pattern.compile("(\\d{1,9})(%?)").matcher(max.get().value().strip());
      int n = m.matches() ? Integer.parseInt(m.group(1)) : -1;
      percent = m.matches() && !m.group(2).isEmpty();
      if (n < 1 || (percent && n > 100)) {
        problems.add(
            max.get().path(),
            "'"
                + max.get().value()
                + "' is not a host count (1 or more) or a percentage"
                + " (1%..100%)");
      } else {
        maxUnavailable = n;
      }
    }
    boolean rollback = rollout.bool("rollback").orElse(true);

    int nextPort = 0;
    if (strategy == RolloutSpec.Strategy.START_FIRST) {
      if (!rollout.has("nextPort")) {
        problems.add(
            rollout.path("nextPort"),
            "required for start-first: the second host port the new container is published on"
                + " while the old one still serves");
      } else {
        nextPort = rollout.port("nextPort").orElse(0);
      }
      if (ports.size() > 1) {
        problems.add(
            rollout.path("strategy"),
            "start-first needs a service that publishes one port (this one publishes "
                + ports.size()
                + "): only that port moves to nextPort while both containers run");
      }
    } else if (strategy != null && rollout.has("nextPort")) {
      problems.add(rollout.path("nextPort"), "is used only by the start-first strategy");
    }
    if (strategy == null || (strategy == RolloutSpec.Strategy.START_FIRST && nextPort == 0)) {
      return null;
    }
    List<String> runOnce = new ArrayList<>();
    if (rollout.has("runOnce") && !rollout.isList("runOnce")) {
      problems.add(
          rollout.path("runOnce"),
          "must be a list of strings, e.g. [\"bin/rails\", \"db:migrate\"]");
    } else if (rollout.has("runOnce")) {
      rollout.texts("runOnce").forEach(t -> runOnce.add(t.value()));
    }
    int secondPort = nextPort;
    int count = maxUnavailable;
    boolean isPercent = percent;
    return construct(
        problems,
        rollout.path(),
        () -> new RolloutSpec(strategy, count, isPercent, rollback, secondPort, runOnce));
  }

  private static Optional<Duration> positive(YamlMap map, String key) {
    Optional<Duration> d = map.duration(key);
    if (d.isPresent() && d.get().isZero()) {
      map.problems().add(map.path(key), "must be more than zero");
      return Optional.empty();
    }
    return d;
  }

  /**
   * Whether {@code read} is at most {@code max}; one that is above is reported at {@code key} (with
   * {@code why}), so the caller falls back to the default and keeps checking.
   */
  private static boolean atMost(YamlMap map, String key, Duration read, Duration max, String why) {
    if (read.compareTo(max) > 0) {
      map.problems().add(map.path(key), Durations.aboveMaximum(read, max, why));
      return false;
    }
    return true;
  }

  private static <T> T construct(Problems problems, String path, java.util.function.Supplier<T> f) {
    try {
      return f.get();
    } catch (InvalidValueException e) {
      problems.add(path, e.getMessage());
      return null;
    }
  }

  private static boolean checkEnvName(String name, String path, Problems problems) {
    if (!ENV_NAME.matcher(name).matches()) {
      problems.add(path, "'" + name + "' is not a variable name (letters, digits, _)");
      return false;
    }
    return true;
  }

  private static String withService(String value, String name) {
    return name == null ? value : value.replace("{service}", name);
  }

  private static String checkSsmName(String value) {
    if (!DesiredSource.Ssm.isValidName(value)) {
      throw new InvalidValueException(
          "'"
              + value
              + "' is not an SSM parameter name (letters, digits, _ . - /"
              + (value.contains("{") ? "; only {service} is replaced" : "")
              + ")");
    }
    return value;
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

  static String signal(String value) {
    String upper = value.strip().toUpperCase(Locale.ROOT);
    String name = upper.startsWith("SIG") ? upper : "SIG" + upper;
    if (!SIGNALS.contains(name)) {
      throw new InvalidValueException(
          "'" + value + "' is not a signal name like SIGTERM, SIGINT or SIGQUIT");
    }
    return name;
  }

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

  private static String lower(HealthSpec.Type type) {
    return type.name().toLowerCase(Locale.ROOT);
  }
}
