package dev.driftguard.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The {@code agent:} section: how the agent itself runs, independent of the services it converges.
 * Every field has a default ({@link #defaults()}), so a file may omit the section.
 *
 * @param pollInterval how often the desired state is read (jittered by the loop)
 * @param metricsListen where {@code /metrics} and {@code /healthz} listen
 * @param statusListen where {@code /status} listens; always a loopback address
 * @param stateDir where the agent keeps its state file (last known good digest, failed digests)
 * @param dockerHost the Docker engine API, {@code unix:///var/run/docker.sock} or {@code
 *     tcp://HOST:PORT}
 * @param aws region, instance id and endpoint overrides
 * @param logFormat text or JSON log lines
 * @param imagesToKeep how many older images of a service garbage collection keeps besides the
 *     running one and the last known good one
 * @param registries credentials for registries that are not ECR
 * @param fleet the turn leases' table and the clock skew their expiry allows for
 * @param selfReportAfter {@code agent.selfReport.unhealthyAfter}: how long the host may serve
 *     nothing before it marks itself Unhealthy in its Auto Scaling group; {@link Duration#ZERO}
 *     (the default) never reports
 */
public record AgentSettings(
    Duration pollInterval,
    ListenAddress metricsListen,
    ListenAddress statusListen,
    Path stateDir,
    URI dockerHost,
    AwsSettings aws,
    LogFormat logFormat,
    int imagesToKeep,
    List<RegistryLogin> registries,
    FleetSettings fleet,
    Duration selfReportAfter) {

  public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(15);
  public static final ListenAddress DEFAULT_METRICS_LISTEN = new ListenAddress("0.0.0.0", 10027);
  public static final ListenAddress DEFAULT_STATUS_LISTEN = new ListenAddress("127.0.0.1", 9274);
  public static final Path DEFAULT_STATE_DIR = Path.of("/var/lib/driftguard");
  public static final URI DEFAULT_DOCKER_HOST = URI.create("unix:///var/run/docker.sock");
  public static final int DEFAULT_IMAGES_TO_KEEP = 2;

  public AgentSettings {
    Objects.requireNonNull(pollInterval, "pollInterval");
    Objects.requireNonNull(metricsListen, "metricsListen");
    Objects.requireNonNull(statusListen, "statusListen");
    Objects.requireNonNull(stateDir, "stateDir");
    Objects.requireNonNull(dockerHost, "dockerHost");
    Objects.requireNonNull(aws, "aws");
    Objects.requireNonNull(logFormat, "logFormat");
    if (!statusListen.isLoopback()) {
      throw new IllegalArgumentException("status must listen on a loopback address");
    }
    if (imagesToKeep < 0) {
      throw new IllegalArgumentException("imagesToKeep must be zero or more");
    }
    registries = List.copyOf(registries);
    Objects.requireNonNull(fleet, "fleet");
    if (selfReportAfter == null || selfReportAfter.isNegative()) {
      throw new IllegalArgumentException("selfReportAfter must be zero (off) or more");
    }
  }

  /** Every default: what an empty {@code agent:} section means. */
  public static AgentSettings defaults() {
    return new AgentSettings(
        DEFAULT_POLL_INTERVAL,
        DEFAULT_METRICS_LISTEN,
        DEFAULT_STATUS_LISTEN,
        DEFAULT_STATE_DIR,
        DEFAULT_DOCKER_HOST,
        AwsSettings.auto(),
        LogFormat.TEXT,
        DEFAULT_IMAGES_TO_KEEP,
        List.of(),
        FleetSettings.defaults(),
        Duration.ZERO);
  }

  /**
   * True when the host marks itself Unhealthy after serving nothing for {@link #selfReportAfter}.
   */
  public boolean selfReportOn() {
    return !selfReportAfter.isZero();
  }

  /**
   * The configured login for {@code registryHost} ({@code host[:port]} as in an image reference),
   * or empty to pull anonymously (or through ECR's token for ECR hosts).
   */
  public Optional<RegistryLogin> registryLogin(String registryHost) {
    return registries.stream().filter(r -> r.host().equalsIgnoreCase(registryHost)).findFirst();
  }
}
