package dev.driftguard.cli;

import dev.driftguard.config.AgentConfig;
import dev.driftguard.config.AgentSettings;
import dev.driftguard.config.RegistryLogin;
import dev.driftguard.desired.DesiredStateSource;
import dev.driftguard.desired.FileDesiredStateSource;
import dev.driftguard.desired.SsmDesiredStateSource;
import dev.driftguard.desired.SsmSecretSource;
import dev.driftguard.health.HealthChecks;
import dev.driftguard.host.FileStateStore;
import dev.driftguard.model.AwsCallListener;
import dev.driftguard.model.DesiredSource;
import dev.driftguard.model.DriftguardException;
import dev.driftguard.model.ServiceSpec;
import dev.driftguard.fleet.StandaloneFleet;
import dev.driftguard.reconcile.DeployTiming;
import dev.driftguard.reconcile.Deployer;
import dev.driftguard.reconcile.ReconcileListener;
import dev.driftguard.reconcile.ReconcileLoop;
import dev.driftguard.reconcile.Sleeper;
import dev.driftguard.reconcile.StateBook;
import dev.driftguard.registry.EcrRegistryAuth;
import dev.driftguard.registry.StaticRegistryLogin;
import dev.driftguard.runtime.DockerContainerRuntime;
import dev.driftguard.traffic.NoTrafficGate;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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

  private Agent(AwsClients aws, DockerContainerRuntime runtime, ReconcileLoop loop) {
    this.aws = aws;
    this.runtime = runtime;
    this.loop = loop;
  }

  static Agent assemble(AgentConfig config, Map<String, String> environment) {
    AgentSettings settings = config.agent();
    AwsClients aws = AwsClients.builder()
        .region(() -> region(settings))
        .endpoints(settings.aws().endpoints())
        .build();
    DockerContainerRuntime runtime = DockerContainerRuntime.create(settings.dockerHost());
    try {
      AwsCallListener awsCalls = AwsCallListener.NONE;
      Map<String, StaticRegistryLogin> logins = new HashMap<>();
      for (RegistryLogin login : settings.registries()) {
        logins.put(login.host(), new StaticRegistryLogin(login.username(), login.passwordFile()));
      }
      Clock clock = Clock.systemUTC();
      Sleeper sleeper = Sleeper.system();
      StateBook states = new StateBook(new FileStateStore(settings.stateDir()));
      ReconcileListener listener = ReconcileListener.all(List.of());
      Map<Class<? extends DesiredSource>, DesiredStateSource> sources = new HashMap<>();
      sources.put(DesiredSource.File.class, new FileDesiredStateSource());
      if (config.services().stream().anyMatch(s -> s.desired() instanceof DesiredSource.Ssm)) {
        sources.put(DesiredSource.Ssm.class, new SsmDesiredStateSource(aws.ssm(), awsCalls));
      }
      for (ServiceSpec service : config.services()) {
        if (service.trafficSpec().isPresent()) {
          logger.warn("[service={}] traffic: is configured, but this version does not flip ELBv2 registration yet; deploys restart the container in place", service.name());
        }
      }
      SecureRandom random = new SecureRandom();
      Deployer deployer = new Deployer(
          runtime,
          new LazyRegistryAuth(() -> new EcrRegistryAuth(aws.ecr(), logins, awsCalls), logins.keySet()),
          names -> new SsmSecretSource(aws.ssm(), awsCalls).resolve(names),
          service -> new NoTrafficGate(),
          new StandaloneFleet(),
          settings.aws().instanceIdOverride().orElse("local"),
          HealthChecks::forType,
          states,
          listener,
          clock,
          sleeper,
          random,
          DeployTiming.defaults());
      Duration stabilisation = settings.pollInterval().multipliedBy(2);
      ReconcileLoop loop = new ReconcileLoop(
          config.services(),
          sources,
          runtime,
          HealthChecks::forType,
          deployer,
          states,
          listener,
          clock,
          sleeper,
          random,
          settings.pollInterval(),
          stabilisation.compareTo(MIN_STABILISATION) < 0 ? MIN_STABILISATION : stabilisation,
          settings.imagesToKeep(),
          java.util.Optional::empty);
      return new Agent(aws, runtime, loop);
    } catch (RuntimeException e) {
      runtime.close();
      aws.close();
      throw e;
    }
  }

  ReconcileLoop loop() {
    return loop;
  }

  private static Region region(AgentSettings settings) {
    return settings.aws().regionOverride().map(Region::of).orElseGet(() -> {
      try {
        return new DefaultAwsRegionProviderChain().getRegion();
      } catch (SdkClientException e) {
        throw new DriftguardException(
            "cannot tell the AWS region (agent.aws.region is auto): " + e.getMessage()
                + "; set agent.aws.region in the configuration", e);
      }
    });
  }

  @Override
  public void close() {
    runtime.close();
    aws.close();
  }
}
