package dev.driftguard.config;

import dev.driftguard.model.HealthSpec;
import dev.driftguard.model.InvalidValueException;
import java.time.Duration;
import java.util.List;

/**
 * Reads a service's {@code health:} section: when a new container counts as healthy. Besides each
 * value's own range it checks what would make every deploy fail the same way: a probe port that is
 * not published (probes go through the host port), a timeout longer than the interval, and a
 * deadline too short for the passing probes it asks for.
 */
final class HealthReader {
  static final String[] KEYS = {
    "type", "port", "path", "interval", "timeout", "healthyThreshold", "deadline"
  };
  static final String DEFAULT_PATH = "/healthz";
  static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(2);
  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(1);
  static final int DEFAULT_HEALTHY_THRESHOLD = 2;
  static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(120);

  // Upper bounds. Each value bounds how long one deploy step may hold a host out of service or
  // hold a fleet slot; a typo like 30m for 30s must fail validation, not every rollout.
  static final Duration MAX_INTERVAL = Duration.ofMinutes(5);
  static final Duration MAX_TIMEOUT = Duration.ofMinutes(1);
  static final Duration MAX_DEADLINE = Duration.ofMinutes(30);

  private HealthReader() {}

  /**
   * The health check, or null when it has an error (reported). {@code ports} are the service's
   * published ports, which an http or tcp probe's port must be among.
   */
  static HealthSpec read(YamlMap health, List<PublishedPort> ports) {
    Problems problems = health.problems();
    HealthSpec.Type type = health.oneOf("type", HealthSpec.Type.DOCKER);
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
              .textValue(
                  "path",
                  v -> {
                    if (!v.startsWith("/")) {
                      throw new InvalidValueException("'" + v + "' must start with '/'");
                    }
                    return v;
                  })
              .orElse(DEFAULT_PATH);
    }

    Duration interval =
        health
            .positiveDuration("interval")
            .filter(
                d ->
                    health.atMost(
                        "interval",
                        d,
                        MAX_INTERVAL,
                        "probes further apart cannot tell a healthy container in time"))
            .orElse(DEFAULT_INTERVAL);
    Duration timeout =
        health
            .positiveDuration("timeout")
            .filter(
                d ->
                    health.atMost(
                        "timeout", d, MAX_TIMEOUT, "a probe that needs longer counts as failed"))
            .orElse(DEFAULT_TIMEOUT);
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
        health
            .positiveDuration("deadline")
            .filter(
                d ->
                    health.atMost(
                        "deadline",
                        d,
                        MAX_DEADLINE,
                        "a stop-first host is out of service and holds a fleet slot until then"))
            .orElse(DEFAULT_DEADLINE);
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
    return health.construct(
        () -> new HealthSpec(type, probePort, probePath, interval, timeout, threshold, deadline));
  }

  private static String lower(HealthSpec.Type type) {
    return YamlMap.word(type);
  }
}
