package dev.driftguard.metrics;

import dev.driftguard.model.AwsCallListener;
import dev.driftguard.model.ContainerInfo;
import dev.driftguard.model.DeployOutcome;
import dev.driftguard.model.DesiredState;
import dev.driftguard.model.Digest;
import dev.driftguard.model.DriftReason;
import dev.driftguard.model.HealthSpec;
import dev.driftguard.model.ObservedService;
import dev.driftguard.model.Phase;
import dev.driftguard.model.ServiceSpec;
import dev.driftguard.reconcile.Action;
import dev.driftguard.reconcile.ReconcileListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Every meter of the agent (docs/metrics.md), in one Prometheus registry. It hears the reconcile
 * loop as a {@link ReconcileListener} and the AWS adapters as an {@link AwsCallListener}, so
 * neither knows about metrics.
 *
 * <p>Names are written without {@code _total} and without the unit: Micrometer's Prometheus naming
 * appends {@code _total} to counters and {@code _seconds} to timers and to gauges whose base unit
 * is seconds. Label values that are known in advance (outcomes, reasons, the configured services)
 * are registered at zero, so {@code rate()} and alerts see the first event instead of a series that
 * appears already at 1. Labels carry names, digests and error codes only, never a message.
 */
public final class AgentMetrics implements ReconcileListener, AwsCallListener, AutoCloseable {
  static final String PREFIX = "driftguard.";

  /** Deploys and pulls take seconds to many minutes; a health deadline can be 10 minutes. */
  private static final Duration[] DEPLOY_BUCKETS =
      seconds(1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800);

  /** Phases range from a sub-second stop to a long drain or health wait. */
  private static final Duration[] PHASE_BUCKETS =
      seconds(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600);

  /** Operations the Docker runtime names in its errors (ContainerRuntimeException.operation). */
  private static final List<String> DOCKER_OPERATIONS =
      List.of(
          "connect",
          "inspect",
          "pull",
          "create",
          "start",
          "stop",
          "remove",
          "rename",
          "images",
          "removeImage");

  /** Calls the agent makes on every poll or pull, whose throttling the alerts watch. */
  private static final List<List<String>> THROTTLE_WATCHED =
      List.of(List.of("ssm", "GetParameters"), List.of("ecr", "GetAuthorizationToken"));

  private static final Set<String> LINT_REJECTED = Set.of("process.cpu.time", "system.cpu.count");

  private static final String THROTTLING = "ThrottlingException";

  private final PrometheusMeterRegistry registry;
  private final JvmGcMetrics gcMetrics;
  private final Map<String, ServiceMeters> services = new ConcurrentHashMap<>();
  private final AtomicReference<Supplier<Instant>> lastSuccessfulPoll =
      new AtomicReference<>(() -> null);
  private final AtomicReference<Supplier<Optional<Instant>>> ecrTokenExpiry =
      new AtomicReference<>(Optional::empty);
  private final AtomicReference<Function<String, Phase>> phases =
      new AtomicReference<>(service -> Phase.IDLE);

  /**
   * @param services the configured service names, whose series are registered at zero up front
   */
  public AgentMetrics(Collection<String> services) {
    this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    // Two binder meters whose names `promtool check metrics` rejects (an abbreviated unit, a
    // gauge ending in _count); process_cpu_usage covers the first, node_exporter the second.
    registry.config().meterFilter(MeterFilter.deny(id -> LINT_REJECTED.contains(id.getName())));
    new JvmMemoryMetrics().bindTo(registry);
    this.gcMetrics = new JvmGcMetrics();
    gcMetrics.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new ProcessMetrics().bindTo(registry);

    Gauge.builder(
            PREFIX + "last.successful.poll.timestamp",
            this,
            m -> epochSeconds(m.lastSuccessfulPoll.get().get()))
        .description(
            "When the desired state of every service was last read without error (Unix time);"
                + " 0 before the first successful read")
        .baseUnit("seconds")
        .register(registry);
    Gauge.builder(
            PREFIX + "ecr.token.expiry.timestamp",
            this,
            m -> m.ecrTokenExpiry.get().get().map(t -> epochSeconds(t)).orElse(Double.NaN))
        .description(
            "When the earliest cached ECR authorization token expires (Unix time); NaN while no"
                + " ECR token is cached")
        .baseUnit("seconds")
        .register(registry);
    for (String operation : DOCKER_OPERATIONS) {
      dockerErrors(operation);
    }
    for (List<String> call : THROTTLE_WATCHED) {
      awsErrors(call.get(0), call.get(1), THROTTLING);
      awsCalls(call.get(0), call.get(1));
    }
    services.forEach(this::service);
  }

  /**
   * Registers the series of the configured services at zero, for when the meters exist before the
   * configuration has been read, and learns which health check judges each service's container.
   */
  public void addServices(Collection<ServiceSpec> configured) {
    for (ServiceSpec spec : configured) {
      service(spec.name()).check = spec.health().type();
    }
  }

  /** The text exposition (format 0.0.4) of every meter. */
  public String scrape() {
    return registry.scrape();
  }

  /** The registry, for tests and for binding further meters. */
  public MeterRegistry registry() {
    return registry;
  }

  /** Reports the loop's last successful poll ({@code ReconcileLoop#lastSuccessfulPoll}). */
  public void trackLastSuccessfulPoll(Supplier<Instant> source) {
    lastSuccessfulPoll.set(source);
  }

  /**
   * Reads each service's live deploy phase ({@code StateBook#get}), for {@code
   * driftguard_waiting_for_turn}: the events say when a phase ends, not that a deploy is waiting at
   * the gate right now.
   */
  public void trackPhases(Function<String, Phase> source) {
    phases.set(source);
  }

  /** Registers {@code driftguard_build_info} (value 1): version, commit and Java version. */
  public void showBuild(BuildInfo build) {
    Gauge.builder(PREFIX + "build.info", () -> 1)
        .description("The agent's build (value 1): version, commit and the Java runtime it runs on")
        .tag("version", build.version())
        .tag("commit", build.commit())
        .tag("java_version", build.javaVersion())
        .register(registry);
  }

  /** Reports the ECR token expiry ({@code EcrRegistryAuth#tokenExpiry}). */
  public void trackEcrTokenExpiry(Supplier<Optional<Instant>> source) {
    ecrTokenExpiry.set(source);
  }

  /**
   * Counts a failed Docker engine call. Fed by the composition root's runtime decorator, which sees
   * the failures the deployer handles itself (a failed start that rolls back), not only those that
   * fail a pass.
   *
   * @param operation the runtime operation (pull, create, start, ...)
   */
  public void dockerError(String operation) {
    dockerErrors(operation).increment();
  }

  // --- ReconcileListener

  @Override
  public void passFinished(String service, boolean inSync, Action action) {
    ServiceMeters m = service(service);
    m.passes.increment();
    m.inSync.set(inSync ? 1 : 0);
  }

  @Override
  public void passFailed(String service, RuntimeException error) {
    ServiceMeters m = service(service);
    m.passes.increment();
    m.errors.increment();
    // A pass that failed has not verified anything, so the service does not count as in sync.
    m.inSync.set(0);
  }

  @Override
  public void desiredRead(String service, DesiredState desired) {
    ServiceMeters m = service(service);
    if (desired instanceof DesiredState.Pinned pinned) {
      m.desiredImage.show(pinned.image().digest());
    } else if (desired instanceof DesiredState.Rejected) {
      // No valid desired digest exists; an unreadable record keeps the last one it had.
      m.desiredImage.show(null);
    }
  }

  @Override
  public void observed(String service, ObservedService observed) {
    ServiceMeters m = service(service);
    ContainerInfo current = observed.current();
    boolean running = current != null && current.running();
    m.runningImage.show(running ? current.digest().orElse(null) : null);
    m.healthy.set(observed.healthy(m.check) ? 1 : 0);
  }

  @Override
  public void targetState(String service, int hostPort, String state) {
    service(service).targetRegistered(registered(state) ? 1 : 0);
  }

  @Override
  public void desiredRejected(String service, DesiredState.Rejected rejected) {
    service(service).rejected.get(rejected.reason()).increment();
  }

  @Override
  public void driftDetected(String service, DriftReason reason) {
    service(service).drift.get(reason).increment();
  }

  @Override
  public void phaseFinished(String service, Phase phase, Duration took) {
    // Registered on first use: ten phases times a dozen buckets per service is mostly zeros.
    Timer.builder(PREFIX + "phase.duration")
        .description("How long each deploy phase took (pull, drain, stop, start, health, ...)")
        .tag("service", service)
        .tag("phase", phase.label())
        .serviceLevelObjectives(PHASE_BUCKETS)
        .register(registry)
        .record(took);
  }

  @Override
  public void imagePulled(String service, Duration took) {
    service(service).pullDuration.record(took);
  }

  @Override
  public void outOfService(String service, Duration took) {
    service(service).outOfService.record(took);
  }

  @Override
  public void deployFinished(String service, DeployOutcome outcome, Duration took) {
    ServiceMeters m = service(service);
    m.deploys.get(outcome).increment();
    m.deployDuration.record(took);
  }

  // --- AwsCallListener

  @Override
  public void onSuccess(String service, String operation) {
    awsCalls(service, operation).increment();
  }

  @Override
  public void onError(String service, String operation, String code) {
    awsCalls(service, operation).increment();
    awsErrors(service, operation, code).increment();
  }

  @Override
  public void onThrottled(String service, String operation) {
    Counter.builder(PREFIX + "aws.throttled")
        .description(
            "Attempts of AWS API calls that AWS throttled (SDK retries included), by service and operation")
        .tag("aws_service", service)
        .tag("operation", operation)
        .register(registry)
        .increment();
  }

  @Override
  public void close() {
    gcMetrics.close();
    registry.close();
  }

  // --- meters

  private Counter dockerErrors(String operation) {
    return Counter.builder(PREFIX + "docker.errors")
        .description("Docker engine calls that failed, by operation")
        .tag("operation", operation)
        .register(registry);
  }

  private Counter awsCalls(String service, String operation) {
    return Counter.builder(PREFIX + "aws.api.calls")
        .description("AWS API calls made, after the SDK's retries, by service and operation")
        .tag("aws_service", service)
        .tag("operation", operation)
        .register(registry);
  }

  private Counter awsErrors(String service, String operation, String code) {
    return Counter.builder(PREFIX + "aws.api.errors")
        .description(
            "AWS API calls that failed after the SDK's retries, by service, operation and error"
                + " code")
        .tag("aws_service", service)
        .tag("operation", operation)
        .tag("code", code)
        .register(registry);
  }

  private ServiceMeters service(String name) {
    return services.computeIfAbsent(name, ServiceMeters::new);
  }

  /** ELBv2 target states in which the target is in the group and not on its way out. */
  static boolean registered(String state) {
    return switch (state == null ? "" : state) {
      case "initial", "healthy", "unhealthy", "unavailable" -> true;
      default -> false;
    };
  }

  private static double epochSeconds(Instant instant) {
    return instant == null ? 0 : instant.toEpochMilli() / 1000.0;
  }

  private static Duration[] seconds(double... values) {
    Duration[] result = new Duration[values.length];
    for (int i = 0; i < values.length; i++) {
      result[i] = Duration.ofMillis(Math.round(values[i] * 1000));
    }
    return result;
  }

  /** The meters of one service; gauges read the atomics held here, so they stay reachable. */
  private final class ServiceMeters {
    final String service;
    final AtomicInteger inSync = new AtomicInteger();
    final AtomicInteger healthy = new AtomicInteger();

    /** The check that judges the container; the configuration's default until it is read. */
    volatile HealthSpec.Type check = HealthSpec.Type.DOCKER;

    final AtomicInteger targetRegistered = new AtomicInteger();
    final InfoGauge desiredImage;
    final InfoGauge runningImage;
    final Counter passes;
    final Counter errors;
    final Map<DeployOutcome, Counter> deploys = new EnumMap<>(DeployOutcome.class);
    final Map<DriftReason, Counter> drift = new EnumMap<>(DriftReason.class);
    final Map<DesiredState.RejectReason, Counter> rejected =
        new EnumMap<>(DesiredState.RejectReason.class);
    final Timer deployDuration;
    final Timer outOfService;
    final Timer pullDuration;
    private boolean targetGaugeRegistered;

    ServiceMeters(String service) {
      this.service = service;
      Gauge.builder(PREFIX + "in.sync", inSync, AtomicInteger::get)
          .description(
              "1 when the service's last pass found it on its desired digest, healthy and idle")
          .tag("service", service)
          .register(registry);
      Gauge.builder(PREFIX + "waiting.for.turn", this, m -> m.waitingForTurn() ? 1 : 0)
          .description(
              "1 while a deploy of the service waits at the gate for its turn to leave service"
                  + " (maxUnavailable); the service is out of sync on purpose meanwhile")
          .tag("service", service)
          .register(registry);
      Gauge.builder(PREFIX + "container.healthy", healthy, AtomicInteger::get)
          .description(
              "1 when the service's container runs and the service's health check does not call"
                  + " it unhealthy or starting: Docker's HEALTHCHECK for type docker, the agent's"
                  + " last probe for http and tcp")
          .tag("service", service)
          .register(registry);
      desiredImage =
          new InfoGauge(
              PREFIX + "desired.image.info",
              "The digest the desired-state record pins (value 1)",
              service);
      runningImage =
          new InfoGauge(
              PREFIX + "running.image.info",
              "The digest of the service's running container (value 1)",
              service);
      passes =
          counter("reconcile.passes", "Reconcile passes over the service, failed ones included");
      errors =
          counter(
              "reconcile.errors", "Reconcile passes over the service that failed with an error");
      for (DeployOutcome outcome : DeployOutcome.values()) {
        deploys.put(
            outcome,
            counter(
                "deploys",
                "Deploys that ended, by outcome (success, rolled_back, failed)",
                "outcome",
                outcome.label()));
      }
      for (DriftReason reason : DriftReason.values()) {
        drift.put(
            reason,
            counter(
                "drift.detected",
                "Differences between desired and running that started a deploy or restart",
                "reason",
                reason.label()));
      }
      for (DesiredState.RejectReason reason : DesiredState.RejectReason.values()) {
        rejected.put(
            reason,
            counter(
                "desired.state.rejected",
                "Desired-state records the agent refused to act on, counted once per new value",
                "reason",
                reason.label()));
      }
      deployDuration =
          timer("deploy.duration", "How long deploys took, from pull to commit or rollback");
      outOfService =
          timer(
              "out.of.service",
              "How long the host served no traffic for the service during a deploy");
      pullDuration = timer("image.pull.duration", "How long image pulls took");
    }

    /** A counter of this service; {@code tags} are further key, value pairs. */
    private Counter counter(String name, String description, String... tags) {
      return Counter.builder(PREFIX + name)
          .description(description)
          .tag("service", service)
          .tags(tags)
          .register(registry);
    }

    private Timer timer(String name, String description) {
      return Timer.builder(PREFIX + name)
          .description(description)
          .tag("service", service)
          .serviceLevelObjectives(DEPLOY_BUCKETS)
          .register(registry);
    }

    boolean waitingForTurn() {
      try {
        return phases.get().apply(service) == Phase.GATE;
      } catch (RuntimeException e) {
        // A scrape must not fail because the state could not be read.
        return false;
      }
    }

    synchronized void targetRegistered(int value) {
      targetRegistered.set(value);
      if (!targetGaugeRegistered) {
        // Only services with a load balancer target have this series; workers never do.
        Gauge.builder(PREFIX + "target.registered", targetRegistered, AtomicInteger::get)
            .description(
                "1 when this host's target is registered in the service's target group"
                    + " (initial, healthy, unhealthy, unavailable), 0 when draining or absent")
            .tag("service", service)
            .register(registry);
        targetGaugeRegistered = true;
      }
    }
  }

  /**
   * A gauge of value 1 whose {@code digest} label names the current value. Moving to another digest
   * removes the old series, so a query never sees two digests for one service.
   */
  private final class InfoGauge {
    private final String name;
    private final String description;
    private final String service;
    private Digest current;
    private Gauge gauge;

    InfoGauge(String name, String description, String service) {
      this.name = name;
      this.description = description;
      this.service = service;
    }

    synchronized void show(Digest digest) {
      if (digest == null ? current == null : digest.equals(current)) {
        return;
      }
      if (gauge != null) {
        registry.remove(gauge);
        gauge = null;
      }
      current = digest;
      if (digest != null) {
        gauge =
            Gauge.builder(name, () -> 1)
                .description(description)
                .tag("service", service)
                .tag("digest", digest.value())
                .register(registry);
      }
    }
  }
}
