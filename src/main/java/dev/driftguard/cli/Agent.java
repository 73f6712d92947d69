package dev.driftguard.cli;

import dev.driftguard.config.AgentConfig;
import dev.driftguard.config.AgentSettings;
import dev.driftguard.config.ConfigLoader;
import dev.driftguard.config.FleetSettings;
import dev.driftguard.config.RegistryLogin;
import dev.driftguard.desired.DesiredStateSource;
import dev.driftguard.desired.FileDesiredStateSource;
import dev.driftguard.desired.SsmDesiredStateSource;
import dev.driftguard.desired.SsmSecretSource;
import dev.driftguard.fleet.AwsFleetCoordinator;
import dev.driftguard.fleet.DynamoDbTurnLease;
import dev.driftguard.fleet.FleetCoordinator;
import dev.driftguard.fleet.SoloTurnLease;
import dev.driftguard.fleet.StandaloneFleet;
import dev.driftguard.fleet.TurnLease;
import dev.driftguard.health.HealthChecks;
import dev.driftguard.host.AutoScalingHealthReporter;
import dev.driftguard.host.FileStateStore;
import dev.driftguard.host.Heartbeat;
import dev.driftguard.host.ImdsInstanceIdentity;
import dev.driftguard.host.InstanceIdentity;
import dev.driftguard.host.SelfReport;
import dev.driftguard.host.ServiceManager;
import dev.driftguard.host.ServingObserver;
import dev.driftguard.host.StateDirectoryLock;
import dev.driftguard.host.StaticInstanceIdentity;
import dev.driftguard.host.SystemdNotifySocket;
import dev.driftguard.metrics.AgentHttpServer;
import dev.driftguard.metrics.AgentMetrics;
import dev.driftguard.metrics.BuildInfo;
import dev.driftguard.metrics.FirstPass;
import dev.driftguard.metrics.LogOutput;
import dev.driftguard.metrics.LoopHealth;
import dev.driftguard.metrics.StartupTimes;
import dev.driftguard.metrics.StatusView;
import dev.driftguard.model.AwsCallListener;
import dev.driftguard.model.DesiredSource;
import dev.driftguard.model.DriftguardException;
import dev.driftguard.model.ServiceSpec;
import dev.driftguard.model.Sleeper;
import dev.driftguard.reconcile.DeployTiming;
import dev.driftguard.reconcile.ReconcileListener;
import dev.driftguard.reconcile.ReconcileLoop;
import dev.driftguard.reconcile.StateBook;
import dev.driftguard.registry.EcrRegistryAuth;
import dev.driftguard.registry.StaticRegistryLogin;
import dev.driftguard.runtime.DockerContainerRuntime;
import dev.driftguard.runtime.EngineCheck;
import dev.driftguard.traffic.Elbv2TrafficGate;
import dev.driftguard.traffic.TrafficGate;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;

/**
 * The composition root: the one place that knows every adapter and wires them into the loop.
 * Everything it builds lives for the whole process (one SDK client per AWS service, one Docker
 * client) and is closed with it.
 */
final class Agent implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(Agent.class);

  /** How long a committed deploy keeps its previous container: at least a minute. */
  private static final Duration MIN_STABILISATION = Duration.ofMinutes(1);

  private final AwsClients aws;
  private final DockerContainerRuntime runtime;
  private final ReconcileLoop loop;
  private final AgentSettings settings;
  private final AgentMetrics metrics;
  private final StatusView status;
  private final Heartbeat heartbeat;
  private final StateDirectoryLock stateLock;
  private AgentHttpServer http;

  private Agent(
      AwsClients aws,
      DockerContainerRuntime runtime,
      ReconcileLoop loop,
      AgentSettings settings,
      AgentMetrics metrics,
      StatusView status,
      Heartbeat heartbeat,
      StateDirectoryLock stateLock) {
    this.aws = aws;
    this.runtime = runtime;
    this.loop = loop;
    this.settings = settings;
    this.metrics = metrics;
    this.status = status;
    this.heartbeat = heartbeat;
    this.stateLock = stateLock;
  }

  /**
   * Loads the configuration and builds the agent. The file is read twice: first with stand-in tags,
   * only for the {@code agent:} section (which says how to reach AWS and who this host is); then
   * for real, with {@code ${tag:KEY}} resolved from this instance's tags.
   */
  static Agent start(Path configFile, Map<String, String> environment) {
    LogOutput.prefixPrioritiesForJournal(environment);
    AgentSettings settings =
        ConfigLoader.load(configFile, environment, key -> Optional.of("tag-" + key)).agent();
    LogOutput.applyConfigured(settings.logFormat());
    AtomicReference<InstanceIdentity> identityRef = new AtomicReference<>();
    // Created first so that every AWS call, the instance identity's included, is counted.
    AgentMetrics metrics = new AgentMetrics(List.of());
    AwsClients aws =
        AwsClients.builder()
            .region(() -> region(settings, identityRef.get()))
            .endpoints(settings.aws().endpoints())
            .callMetrics(new ThrottledAttempts(metrics))
            .build();
    metrics.showBuild(BuildInfo.current(Version.current()));
    try {
      AwsCallListener awsCalls = metrics;
      InstanceIdentity identity = identity(settings, aws, awsCalls);
      identityRef.set(identity);
      AgentConfig config =
          ConfigLoader.load(
              configFile, environment, key -> Optional.ofNullable(identity.tags().get(key)));
      logger.info(
          "driftguard {} starting with {} ({} service(s)) on {}",
          Version.current(),
          configFile,
          config.services().size(),
          identity.instanceId());
      ServiceManager serviceManager =
          SystemdNotifySocket.fromEnvironment(environment, ProcessHandle.current().pid());
      return assemble(config, aws, identity, metrics, serviceManager);
    } catch (RuntimeException e) {
      metrics.close();
      aws.close();
      throw e;
    }
  }

  /**
   * On EC2 the instance tells who it is (IMDSv2); with {@code agent.aws.instanceId} set (local
   * mode, tests) the configured values stand in and no metadata service is asked.
   */
  private static InstanceIdentity identity(
      AgentSettings settings, AwsClients aws, AwsCallListener awsCalls) {
    Optional<String> configured = settings.aws().instanceIdOverride();
    if (configured.isPresent()) {
      return StaticInstanceIdentity.of(
          configured.get(), settings.aws().regionOverride().orElse("local"), Map.of());
    }
    return new ImdsInstanceIdentity(aws.imds(), aws::ec2, awsCalls);
  }

  /**
   * AWS-backed fleet coordination where there is a fleet: on EC2 (identity from IMDS), or where a
   * test points EC2 at a local endpoint. A local-mode host has no peers.
   */
  private static boolean inFleet(AgentSettings settings) {
    return settings.aws().instanceIdOverride().isEmpty()
        || settings.aws().endpoint("ec2").isPresent();
  }

  /**
   * What the agent tells systemd: {@code READY=1} once the first pass has been through every
   * service, then {@code WATCHDOG=1} only while the loop ticks (docs/design/systemd-unit.md).
   *
   * @param heartbeat beats from the loop's liveness; {@link Heartbeat#start} is the caller's
   * @param firstPass the listener that makes it ready
   */
  record Supervision(Heartbeat heartbeat, ReconcileListener firstPass) {
    /**
     * @param alsoWhenReady runs once the first pass is done, after {@code READY=1} (the start-up
     *     gauge's {@code first_pass})
     */
    static Supervision of(
        ServiceManager manager,
        Supplier<Instant> lastTick,
        Duration pollInterval,
        List<ServiceSpec> services,
        Clock clock,
        Runnable alsoWhenReady) {
      LoopHealth liveness = LoopHealth.forWatchdog(lastTick, pollInterval, services, clock);
      Heartbeat heartbeat = new Heartbeat(manager, () -> liveness.check().healthy());
      return new Supervision(
          heartbeat,
          new FirstPass(
              services.stream().map(ServiceSpec::name).toList(),
              summary -> {
                heartbeat.ready(summary);
                alsoWhenReady.run();
              }));
    }
  }

  private static Agent assemble(
      AgentConfig config,
      AwsClients aws,
      InstanceIdentity identity,
      AgentMetrics metrics,
      ServiceManager serviceManager) {
    AgentSettings settings = config.agent();
    AwsCallListener awsCalls = metrics;
    metrics.addServices(config.services());
    // Before anything acts: `once` and the `run` service must never share a state directory.
    StateDirectoryLock stateLock = StateDirectoryLock.acquire(settings.stateDir());
    DockerContainerRuntime runtime = DockerContainerRuntime.create(settings.dockerHost());
    try {
      // Engine failures are counted here because the deployer handles most of them itself.
      MeteredContainerRuntime meteredRuntime = new MeteredContainerRuntime(runtime, metrics);
      Map<String, StaticRegistryLogin> logins = new HashMap<>();
      for (RegistryLogin login : settings.registries()) {
        logins.put(login.host(), new StaticRegistryLogin(login.username(), login.passwordFile()));
      }
      Clock clock = Clock.systemUTC();
      // Every wait of the loop and the deployer marks the loop alive before and after it, so
      // /healthz tells a long deploy from a hung agent.
      AtomicReference<ReconcileLoop> loopRef = new AtomicReference<>();
      Sleeper sleeper =
          duration -> {
            beat(loopRef);
            Sleeper.system().sleep(duration);
            beat(loopRef);
          };
      StateBook states =
          new StateBook(new FileStateStore(settings.stateDir(), identity.instanceId()));
      StatusView status =
          new StatusView(Version.current(), identity.instanceId(), config.services(), states::get);
      metrics.trackPhases(service -> states.get(service).phase());
      StartupTimes startup =
          new StartupTimes(
                  config.services().stream().map(ServiceSpec::name).toList(),
                  StartupTimes.processStart(clock),
                  clock)
              .bindTo(metrics.registry());
      Supervision supervision =
          Supervision.of(
              serviceManager,
              () -> loopRef.get() == null ? null : loopRef.get().lastTick(),
              settings.pollInterval(),
              config.services(),
              clock,
              startup::firstPassDone);
      ReconcileListener listener =
          ReconcileListener.all(List.of(metrics, status, supervision.firstPass(), startup));
      Map<Class<? extends DesiredSource>, DesiredStateSource> sources = new HashMap<>();
      sources.put(DesiredSource.File.class, new FileDesiredStateSource());
      if (config.services().stream().anyMatch(s -> s.desired() instanceof DesiredSource.Ssm)) {
        sources.put(DesiredSource.Ssm.class, new SsmDesiredStateSource(aws.ssm(), awsCalls));
      }
      boolean anyTraffic = config.services().stream().anyMatch(ServiceSpec::hasLoadBalancer);
      // Only services with traffic: reach the gate; without any, there is no ELBv2 client at all.
      TrafficGate elbv2 =
          anyTraffic ? new Elbv2TrafficGate(aws.elbv2(), identity.instanceId(), awsCalls) : null;
      FleetCoordinator fleet =
          inFleet(settings)
              ? AwsFleetCoordinator.create(aws.elbv2(), aws::ec2, identity.instanceId(), awsCalls)
              : new StandaloneFleet();
      TurnLease turns =
          inFleet(settings)
              ? new DynamoDbTurnLease(
                  aws.dynamodb(),
                  settings.fleet().leaseTable(),
                  clock,
                  settings.fleet().maxClockSkew(),
                  new SecureRandom(),
                  awsCalls)
              : new SoloTurnLease(clock);
      AtomicReference<EcrRegistryAuth> ecrAuth = new AtomicReference<>();
      metrics.trackEcrTokenExpiry(
          () -> Optional.ofNullable(ecrAuth.get()).flatMap(EcrRegistryAuth::tokenExpiry));
      Duration stabilisation = settings.pollInterval().multipliedBy(2);
      ReconcileLoop loop =
          ReconcileLoop.builder()
              .services(config.services())
              .sources(sources)
              .runtime(meteredRuntime)
              .registryAuth(
                  new LazyRegistryAuth(
                      () -> {
                        EcrRegistryAuth auth = new EcrRegistryAuth(aws::ecr, logins, awsCalls);
                        ecrAuth.set(auth);
                        return auth;
                      },
                      logins.keySet()))
              .secrets(names -> new SsmSecretSource(aws.ssm(), awsCalls).resolve(names))
              .traffic(elbv2)
              .fleet(fleet)
              .turns(turns)
              .instanceId(identity.instanceId())
              .healthChecks(HealthChecks.create())
              .states(states)
              .listener(listener)
              .clock(clock)
              .sleeper(sleeper)
              .random(new SecureRandom())
              .timing(
                  DeployTiming.defaults()
                      .forRegistrationBudget(
                          settings.fleet().elbRegistrationsPerSecond(), turns.sharesIntents()))
              .pollInterval(settings.pollInterval())
              .ssmReadsPerSecond(settings.fleet().ssmReadsPerSecond())
              .expectedHosts(settings.fleet().expectedHosts(), FleetSettings.DEFAULT_EXPECTED_HOSTS)
              .serving(
                  settings.selfReportOn() && inFleet(settings)
                      ? new SelfReport(
                          settings.selfReportAfter(),
                          new AutoScalingHealthReporter(
                              aws.autoscaling(), identity.instanceId(), awsCalls))
                      : ServingObserver.NONE)
              .stabilisation(
                  stabilisation.compareTo(MIN_STABILISATION) < 0
                      ? MIN_STABILISATION
                      : stabilisation)
              .keepImages(settings.imagesToKeep())
              .terminationNotice(() -> terminationNotice(identity))
              .build();
      loopRef.set(loop);
      metrics.trackLastSuccessfulPoll(loop::lastSuccessfulPoll);
      return new Agent(
          aws, runtime, loop, settings, metrics, status, supervision.heartbeat(), stateLock);
    } catch (RuntimeException e) {
      runtime.close();
      stateLock.close();
      throw e;
    }
  }

  private static void beat(AtomicReference<ReconcileLoop> loop) {
    ReconcileLoop current = loop.get();
    if (current != null) {
      current.beat();
    }
  }

  /** A failing metadata read must not stop reconciling: it is logged and read again next pass. */
  private static Optional<String> terminationNotice(InstanceIdentity identity) {
    try {
      return identity.terminationNotice();
    } catch (RuntimeException e) {
      logger.warn("cannot read the instance's termination notices: {}", e.getMessage());
      return Optional.empty();
    }
  }

  ReconcileLoop loop() {
    return loop;
  }

  /**
   * Warns once when the engine would stop every container whenever dockerd stops (no live-restore).
   * Only {@code run} asks: {@code once} is a short check. On a thread of its own, beside the loop:
   * the engine's description is a large answer the first decision does not need, and an engine slow
   * to give it must not hold up the loop's start.
   */
  void checkEngineAside() {
    Thread check =
        new Thread(
            () -> {
              try {
                EngineCheck.checkOnce(runtime);
              } catch (RuntimeException e) {
                // E.g. the agent stopping and closing the client meanwhile.
                logger.warn(
                    "cannot check the Docker engine's live-restore setting: {}", e.toString());
              }
            },
            "driftguard-engine-check");
    check.setDaemon(true);
    check.start();
  }

  /**
   * Starts serving /metrics, /healthz and /status, and the heartbeat to systemd (under a {@code
   * Type=notify} unit). Only {@code run} calls this: {@code once} is a short-lived command (CI,
   * cron, an operator's check) that must not take the agent's ports or speak for the service.
   *
   * @throws DriftguardException when a listen address cannot be bound
   */
  void serveHttp() {
    heartbeat.start();
    LoopHealth health = new LoopHealth(loop::lastTick, settings.pollInterval(), Clock.systemUTC());
    http =
        AgentHttpServer.start(
            settings.metricsListen().toSocketAddress(),
            settings.statusListen().toSocketAddress(),
            new AgentHttpServer.Endpoints(
                metrics::scrape,
                health::check,
                () -> status.json(loop.lastTick(), loop.lastSuccessfulPoll())));
  }

  private static Region region(AgentSettings settings, InstanceIdentity identity) {
    Optional<String> configured = settings.aws().regionOverride();
    if (configured.isPresent()) {
      return Region.of(configured.get());
    }
    if (identity instanceof ImdsInstanceIdentity) {
      return Region.of(identity.region());
    }
    try {
      return new DefaultAwsRegionProviderChain().getRegion();
    } catch (SdkClientException e) {
      throw new DriftguardException(
          "cannot tell the AWS region (agent.aws.region is auto): "
              + e.getMessage()
              + "; set agent.aws.region in the configuration",
          e);
    }
  }

  @Override
  public void close() {
    heartbeat.stopping();
    if (http != null) {
      http.close();
    }
    runtime.close();
    aws.close();
    metrics.close();
    stateLock.close();
  }
}
