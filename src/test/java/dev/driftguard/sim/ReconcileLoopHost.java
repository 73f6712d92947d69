package dev.driftguard.sim;

import dev.driftguard.config.FleetSettings;
import dev.driftguard.desired.SsmDesiredStateSource;
import dev.driftguard.fleet.AwsFleetCoordinator;
import dev.driftguard.fleet.TurnLease;
import dev.driftguard.model.AwsCallListener;
import dev.driftguard.model.DeployOutcome;
import dev.driftguard.model.DesiredSource;
import dev.driftguard.reconcile.DeployTiming;
import dev.driftguard.reconcile.ReconcileListener;
import dev.driftguard.reconcile.ReconcileLoop;
import dev.driftguard.reconcile.StateBook;
import dev.driftguard.registry.RegistryAuth;
import dev.driftguard.traffic.Elbv2TrafficGate;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The agent's own loop in the simulator: a real {@link ReconcileLoop}, built as the composition
 * root builds it, on the agent's real AWS adapters (turns on the DynamoDB lease) over the simulated
 * SDK clients, the simulated engine and health checks, and the host's skewed clock. The simulator
 * drives its {@link ReconcileLoop#tick}; nothing sleeps.
 */
public final class ReconcileLoopHost implements SimHost {
  /** ECR is not simulated: images pull anonymously from the simulated registry. */
  private static final RegistryAuth ANONYMOUS =
      new RegistryAuth() {
        @Override
        public Optional<dev.driftguard.model.RegistryCredential> credentialFor(String registry) {
          return Optional.empty();
        }

        @Override
        public void invalidate(String registry) {}
      };

  private final ReconcileLoop loop;

  /** An agent with the shipped settings. */
  public ReconcileLoopHost(Wiring w) {
    this(w, FleetSettings.defaults().elbRegistrationsPerSecond());
  }

  /**
   * An agent whose {@code agent.fleet.elbRegistrationsPerSecond} is {@code
   * elbRegistrationsPerSecond} (for example twice the default where the two calls have a bucket
   * each).
   */
  public ReconcileLoopHost(Wiring w, int elbRegistrationsPerSecond) {
    AwsCallListener calls = AwsCallListener.NONE;
    TurnLease turns = ModelAgent.dynamoDb(w);
    this.loop =
        ReconcileLoop.builder()
            .services(w.services())
            .sources(Map.of(DesiredSource.Ssm.class, new SsmDesiredStateSource(w.ssm(), calls)))
            .runtime(w.runtime())
            .registryAuth(ANONYMOUS)
            .secrets(names -> Map.of())
            .traffic(new Elbv2TrafficGate(w.elbv2(), w.instanceId(), calls))
            .fleet(
                new AwsFleetCoordinator(
                    w.elbv2(),
                    w::ec2,
                    w.instanceId(),
                    calls,
                    w.clock(),
                    AwsFleetCoordinator.DEFAULT_PUBLISH_INTERVAL))
            .turns(turns)
            .instanceId(w.instanceId())
            .healthChecks(w.healthChecks())
            .states(new StateBook(w.stateStore()))
            .listener(new Outcomes(w.outcomes()))
            .clock(w.clock())
            .sleeper(
                d -> {
                  throw new IllegalStateException("the simulator drives tick(); nothing may sleep");
                })
            .random(w.random())
            .timing(
                DeployTiming.defaults()
                    .forRegistrationBudget(elbRegistrationsPerSecond, turns.sharesIntents()))
            .pollInterval(w.pollInterval())
            .ssmReadsPerSecond(FleetSettings.defaults().ssmReadsPerSecond())
            .expectedHosts(
                FleetSettings.defaults().expectedHosts(), FleetSettings.DEFAULT_EXPECTED_HOSTS)
            .stabilisation(Duration.ofMinutes(1))
            .keepImages(2)
            .terminationNotice(w.terminationNotice())
            .build();
  }

  @Override
  public Duration tick() {
    return loop.tick();
  }

  /** Deploy outcomes to the report. */
  private record Outcomes(SimHost.Outcomes sink) implements ReconcileListener {
    @Override
    public void deployFinished(String service, DeployOutcome outcome, Duration took) {
      sink.deploy(outcome.label(), false);
    }
  }
}
