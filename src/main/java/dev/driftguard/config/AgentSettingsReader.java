package dev.driftguard.config;

import dev.driftguard.model.InvalidValueException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/** Reads the {@code agent:} section into {@link AgentSettings}, defaults for what is absent. */
final class AgentSettingsReader {
  static final String[] KEYS = {
    "pollInterval",
    "metrics",
    "status",
    "stateDir",
    "docker",
    "aws",
    "log",
    "images",
    "registries",
    "fleet",
    "selfReport"
  };
  private static final Pattern REGION = Pattern.compile("[a-z]{2}(?:-[a-z]+)+-\\d{1,2}");
  private static final Pattern INSTANCE_ID = Pattern.compile("i-[0-9a-f]{8,17}");

  /** host[:port] as the first component of an image reference. */
  static final Pattern REGISTRY_HOST =
      Pattern.compile(
          "(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]{1,5})?");

  private static final Duration MIN_POLL_INTERVAL = Duration.ofMillis(100);

  /** Shorter than this, a slow container start would look like a dead host. */
  static final Duration MIN_SELF_REPORT_AFTER = Duration.ofMinutes(1);

  static final Duration MAX_SELF_REPORT_AFTER = Duration.ofHours(24);

  /**
   * A new pin waits up to one poll interval, and {@code /healthz} counts a loop as stuck after a
   * few intervals without a tick: beyond this, neither means anything to an operator.
   */
  static final Duration MAX_POLL_INTERVAL = Duration.ofMinutes(10);

  private AgentSettingsReader() {}

  static AgentSettings read(YamlMap agent, Path baseDir) {
    Problems problems = agent.problems();
    Duration pollInterval =
        agent.duration("pollInterval").orElse(AgentSettings.DEFAULT_POLL_INTERVAL);
    if (pollInterval.compareTo(MIN_POLL_INTERVAL) < 0) {
      problems.add(agent.path("pollInterval"), "must be at least 100ms");
      pollInterval = AgentSettings.DEFAULT_POLL_INTERVAL;
    } else if (pollInterval.compareTo(MAX_POLL_INTERVAL) > 0) {
      problems.add(
          agent.path("pollInterval"),
          Durations.aboveMaximum(
              pollInterval, MAX_POLL_INTERVAL, "a new pin waits up to one interval"));
      pollInterval = AgentSettings.DEFAULT_POLL_INTERVAL;
    }

    ListenAddress metrics =
        agent
            .map("metrics", "listen")
            .value("listen", ListenAddress::parse)
            .orElse(AgentSettings.DEFAULT_METRICS_LISTEN);
    YamlMap statusMap = agent.map("status", "listen");
    ListenAddress status =
        statusMap.value("listen", ListenAddress::parse).orElse(AgentSettings.DEFAULT_STATUS_LISTEN);
    if (!status.isLoopback()) {
      problems.add(
          statusMap.path("listen"),
          "'"
              + status
              + "' is not a loopback address (use 127.0.0.1, [::1] or localhost):"
              + " /status is unauthenticated and shows deploy details");
      status = AgentSettings.DEFAULT_STATUS_LISTEN;
    }

    Path stateDir =
        agent
            .pathValue("stateDir", v -> resolvePath(baseDir, v))
            .orElse(AgentSettings.DEFAULT_STATE_DIR);
    URI dockerHost =
        agent
            .map("docker", "host")
            .pathValue("host", AgentSettingsReader::dockerHost)
            .orElse(AgentSettings.DEFAULT_DOCKER_HOST);

    AwsSettings aws = readAws(agent.map("aws", "region", "instanceId", "endpoints"));

    LogFormat logFormat =
        agent.map("log", "format").oneOf("format", LogFormat.class).orElse(LogFormat.TEXT);
    int imagesToKeep =
        agent
            .map("images", "keep")
            .integer("keep", 0, 1000)
            .orElse(AgentSettings.DEFAULT_IMAGES_TO_KEEP);

    List<RegistryLogin> registries = new ArrayList<>();
    Map<String, String> seenHosts = new HashMap<>();
    for (YamlMap entry : agent.maps("registries", "host", "username", "passwordFile")) {
      String host = entry.textValue("host", AgentSettingsReader::registryHost).orElse(null);
      String username = entry.string("username").orElse(null);
      Path passwordFile =
          entry.pathValue("passwordFile", v -> resolvePath(baseDir, v)).orElse(null);
      if (!entry.has("host")) {
        problems.add(entry.path("host"), "required (e.g. registry.example.com:5000)");
      }
      if (!entry.has("username")) {
        problems.add(entry.path("username"), "required");
      }
      if (!entry.has("passwordFile")) {
        problems.add(
            entry.path("passwordFile"),
            "required (a file holding only the password; it is read when a pull needs it)");
      }
      if (host != null) {
        String previous = seenHosts.putIfAbsent(host.toLowerCase(Locale.ROOT), entry.path());
        if (previous != null) {
          problems.add(entry.path("host"), "'" + host + "' is already configured at " + previous);
        }
      }
      if (host != null && username != null && passwordFile != null) {
        registries.add(new RegistryLogin(host, username, passwordFile));
      }
    }

    return new AgentSettings(
        pollInterval,
        metrics,
        status,
        stateDir,
        dockerHost,
        aws,
        logFormat,
        imagesToKeep,
        registries,
        readFleet(
            agent.map(
                "fleet",
                "leaseTable",
                "maxClockSkew",
                "ssmReadsPerSecond",
                "expectedHosts",
                "elbRegistrationsPerSecond")),
        readSelfReport(agent.map("selfReport", "unhealthyAfter")));
  }

  private static FleetSettings readFleet(YamlMap fleet) {
    Problems problems = fleet.problems();
    String table =
        fleet
            .textValue(
                "leaseTable",
                v -> {
                  if (!FleetSettings.TABLE_NAME.matcher(v).matches()) {
                    throw new InvalidValueException(
                        "'" + v + "' is not a DynamoDB table name (3 to 255 of a-z A-Z 0-9 _ . -)");
                  }
                  return v;
                })
            .orElse(FleetSettings.DEFAULT_LEASE_TABLE);
    Duration skew = fleet.duration("maxClockSkew").orElse(FleetSettings.DEFAULT_MAX_CLOCK_SKEW);
    if (skew.compareTo(FleetSettings.MAX_MAX_CLOCK_SKEW) > 0) {
      problems.add(fleet.path("maxClockSkew"), "must be at most 5m");
      skew = FleetSettings.DEFAULT_MAX_CLOCK_SKEW;
    }
    double ssmReads =
        fleet
            .integer("ssmReadsPerSecond", 1, (int) FleetSettings.MAX_SSM_READS_PER_SECOND)
            .map(Integer::doubleValue)
            .orElse(FleetSettings.DEFAULT_SSM_READS_PER_SECOND);
    OptionalInt expectedHosts =
        fleet
            .integer("expectedHosts", 1, FleetSettings.MAX_EXPECTED_HOSTS)
            .map(OptionalInt::of)
            .orElse(OptionalInt.empty());
    int elbRegistrations =
        fleet
            .integer("elbRegistrationsPerSecond", 1, FleetSettings.MAX_ELB_REGISTRATIONS_PER_SECOND)
            .orElse(FleetSettings.DEFAULT_ELB_REGISTRATIONS_PER_SECOND);
    return new FleetSettings(table, skew, ssmReads, expectedHosts, elbRegistrations);
  }

  /** {@code agent.selfReport}: off (zero) unless {@code unhealthyAfter} is written. */
  private static Duration readSelfReport(YamlMap selfReport) {
    Problems problems = selfReport.problems();
    if (selfReport.present() && !selfReport.has("unhealthyAfter")) {
      problems.add(
          selfReport.path("unhealthyAfter"),
          "required to turn the self-report on (e.g. 15m); leave selfReport out to keep it off");
      return Duration.ZERO;
    }
    Optional<Duration> after = selfReport.duration("unhealthyAfter");
    if (after.isEmpty()) {
      return Duration.ZERO;
    }
    if (after.get().compareTo(MIN_SELF_REPORT_AFTER) < 0) {
      problems.add(
          selfReport.path("unhealthyAfter"),
          "must be at least 1m (shorter, a slow container start would look like a dead host)");
      return Duration.ZERO;
    }
    if (after.get().compareTo(MAX_SELF_REPORT_AFTER) > 0) {
      problems.add(
          selfReport.path("unhealthyAfter"),
          Durations.aboveMaximum(
              after.get(), MAX_SELF_REPORT_AFTER, "its group should have replaced it long before"));
      return Duration.ZERO;
    }
    return after.get();
  }

  private static AwsSettings readAws(YamlMap aws) {
    Problems problems = aws.problems();
    String region = autoOr(aws, "region", REGION, "an AWS region name like us-east-1");
    String instanceId =
        autoOr(aws, "instanceId", INSTANCE_ID, "an instance id like i-0123456789abcdef0");
    Map<String, URI> endpoints = new LinkedHashMap<>();
    List<String> services = AwsSettings.ENDPOINT_SERVICES.stream().sorted().toList();
    for (Map.Entry<String, YamlMap.Text> entry : aws.textMap("endpoints").entrySet()) {
      YamlMap.Text text = entry.getValue();
      if (!AwsSettings.ENDPOINT_SERVICES.contains(entry.getKey())) {
        problems.add(text.path(), YamlMap.unknownKey(entry.getKey(), services));
        continue;
      }
      aws.parse(text, AgentSettingsReader::httpEndpoint)
          .ifPresent(uri -> endpoints.put(entry.getKey(), uri));
    }
    return new AwsSettings(region, instanceId, endpoints);
  }

  private static URI httpEndpoint(String value) {
    URI uri;
    try {
      uri = new URI(value);
    } catch (URISyntaxException e) {
      uri = null;
    }
    if (uri == null
        || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
        || uri.getHost() == null) {
      throw new InvalidValueException(
          "'" + value + "' is not an http(s) URL like http://127.0.0.1:4566");
    }
    return uri;
  }

  private static URI dockerHost(String value) {
    URI uri = parseUri(value);
    if ("unix".equals(uri.getScheme())) {
      if (uri.getPath() == null || !uri.getPath().startsWith("/") || uri.getAuthority() != null) {
        throw new InvalidValueException(
            "'" + value + "': write a unix socket as unix:///path/to/docker.sock");
      }
      return uri;
    }
    if ("tcp".equals(uri.getScheme())) {
      if (uri.getHost() == null || uri.getPort() < 1) {
        throw new InvalidValueException("'" + value + "': write tcp://HOST:PORT");
      }
      return uri;
    }
    throw new InvalidValueException(
        "'" + value + "' is not unix:///path/to/docker.sock or tcp://HOST:PORT");
  }

  /** {@code key}: {@code auto} (null: found at run time, from instance metadata) or a value. */
  private static String autoOr(YamlMap aws, String key, Pattern rule, String like) {
    return aws.value(
            key,
            v -> {
              if (!YamlMap.isAuto(v) && !rule.matcher(v).matches()) {
                throw new InvalidValueException("'" + v + "' is not auto or " + like);
              }
              return v;
            })
        .filter(v -> !YamlMap.isAuto(v))
        .orElse(null);
  }

  private static String registryHost(String value) {
    if (!REGISTRY_HOST.matcher(value).matches()) {
      throw new InvalidValueException(
          "'" + value + "' is not a registry host[:port] like registry.example.com:5000");
    }
    return value;
  }

  private static URI parseUri(String value) {
    try {
      return new URI(value);
    } catch (URISyntaxException e) {
      throw new InvalidValueException("'" + value + "' is not a URL: " + e.getReason());
    }
  }

  /** Relative paths are relative to the configuration file's folder, not the working folder. */
  static Path resolvePath(Path baseDir, String value) {
    if (value.isBlank()) {
      throw new InvalidValueException("must not be empty");
    }
    try {
      Path path = Path.of(value);
      return path.isAbsolute() ? path.normalize() : baseDir.resolve(path).normalize();
    } catch (java.nio.file.InvalidPathException e) {
      throw new InvalidValueException("'" + value + "' is not a path: " + e.getReason());
    }
  }
}
