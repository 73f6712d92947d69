package dev.driftguard.reconcile;

import dev.driftguard.desired.DesiredStateSource;
import dev.driftguard.desired.DesiredStateUnavailableException;
import dev.driftguard.health.HealthCheck;
import dev.driftguard.model.ContainerInfo;
import dev.driftguard.model.DesiredSource;
import dev.driftguard.model.ImageRef;
import dev.driftguard.model.RegistryCredential;
import dev.driftguard.model.ServiceSpec;
import dev.driftguard.registry.RegistryAuth;
import dev.driftguard.testing.FakeContainerRuntime;
import dev.driftguard.testing.FakeTime;
import dev.driftguard.testing.InMemoryStateStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * One simulated host: the real loop and deployer over a fake engine, fake desired state and virtual
 * time. {@link #restartAgent()} builds a new agent over the same engine and state store, as a crash
 * and systemd restart would.
 */
final class AgentHarness {
  final FakeTime time = FakeTime.startingAt("2026-01-01T00:00:00Z");
  final FakeContainerRuntime runtime = new FakeContainerRuntime(time);
  final InMemoryStateStore store = new InMemoryStateStore();
  final Map<String, String> ssm = new HashMap<>();
  final List<String> events = new ArrayList<>();
  List<ServiceSpec> services;
  int credentialFetches;
  String terminationNotice;
  String instanceId = "i-0000000000000001";
  dev.driftguard.traffic.TrafficGate traffic;
  dev.driftguard.fleet.FleetCoordinator fleet = new dev.driftguard.fleet.StandaloneFleet();

  /** The turn leases, shared by every host a test makes (one table). */
  dev.driftguard.fleet.TurnLease turns =
      new dev.driftguard.testing.InMemoryTurnLease(time, Duration.ofSeconds(10));

  boolean ssmDown;

  /** The deploy's pacing; a test may change it before {@link #restartAgent}. */
  DeployTiming timing =
      DeployTiming.defaults().withGate(Duration.ofSeconds(5), Duration.ofMinutes(10));

  /** {@code fleet.expectedHosts} as written (empty: not written), and the assumption without. */
  java.util.OptionalInt expectedHosts = java.util.OptionalInt.empty();

  int defaultExpectedHosts = 1;

  /** SSM SecureString reads fail (the secrets of envFromSsm). */
  boolean secretsDown;

  /** What the loop tells after each poll about the host serving anything (the self-report). */
  final List<Boolean> servingSeen = new ArrayList<>();

  ReconcileLoop loop;

  /** The fake registry's password changes when a "token" is refreshed, like an ECR token. */
  String registryPassword = "token-1";

  AgentHarness(ServiceSpec... services) {
    this.services = List.of(services);
    runtime.requirePassword(dev.driftguard.testing.Specs.REGISTRY, registryPassword);
    restartAgent();
  }

  /** Restarts the agent with a new configuration, as an operator's edit and restart would. */
  void reconfigure(ServiceSpec... newServices) {
    services = List.of(newServices);
    restartAgent();
  }

  void restartAgent() {
    replaceStates(new StateBook(store));
  }

  /** Builds a fresh agent (loop, deployer, caches) over the same engine and {@code states}. */
  void replaceStates(StateBook states) {
    DesiredStateSource source =
        new DesiredStateSource() {
          @Override
          public Map<String, RawRecord> read(Collection<String> locations) {
            if (ssmDown) {
              throw new DesiredStateUnavailableException(
                  "SSM GetParameters: ThrottlingException", true, null);
            }
            Map<String, RawRecord> out = new HashMap<>();
            for (String l : locations) {
              if (ssm.containsKey(l)) {
                out.put(l, new RawRecord(ssm.get(l), 1));
              }
            }
            return out;
          }
        };
    RegistryAuth auth =
        new RegistryAuth() {
          @Override
          public Optional<RegistryCredential> credentialFor(String registry) {
            credentialFetches++;
            return Optional.of(new RegistryCredential(registry, "AWS", registryPassword, null));
          }

          @Override
          public void invalidate(String registry) {
            events.add("invalidate " + registry);
          }
        };
    // Like a real probe, it fails when it knocks on a host port the container does not publish.
    HealthCheck.Factory checks =
        type ->
            (c, cs, hs) -> {
              boolean rightPort =
                  c.hostPort().isEmpty()
                      || cs.ports().isEmpty()
                      || cs.ports().get(0).hostPort() == c.hostPort().get();
              if (!rightPort) {
                return HealthCheck.ProbeResult.fail(
                    "connection refused on " + cs.ports().get(0).hostPort());
              }
              return c.health() == ContainerInfo.Health.HEALTHY
                  ? HealthCheck.ProbeResult.pass("healthy")
                  : HealthCheck.ProbeResult.fail(c.health().name());
            };
    ReconcileListener listener =
        new ReconcileListener() {
          @Override
          public void deployFinished(
              String service, dev.driftguard.model.DeployOutcome outcome, Duration took) {
            events.add("deploy " + service + " " + outcome.label());
          }

          @Override
          public void desiredRejected(
              String service, dev.driftguard.model.DesiredState.Rejected rejected) {
            events.add("rejected " + service + " " + rejected.reason().label());
          }

          @Override
          public void driftDetected(String service, dev.driftguard.model.DriftReason reason) {
            events.add("drift " + service + " " + reason.label());
          }
        };
    loop =
        ReconcileLoop.builder()
            .services(services)
            .sources(
                Map.<Class<? extends DesiredSource>, DesiredStateSource>of(
                    DesiredSource.Ssm.class, source))
            .runtime(runtime)
            .registryAuth(auth)
            .secrets(
                names -> {
                  if (secretsDown) {
                    throw new dev.driftguard.desired.SecretUnavailableException(
                        "SSM GetParameters: ThrottlingException", List.of(), true, null);
                  }
                  Map<String, String> values = new HashMap<>();
                  names.forEach(n -> values.put(n, "secret-of-" + n));
                  return values;
                })
            .traffic(traffic)
            .fleet(fleet)
            .turns(turns)
            .expectedHosts(expectedHosts, defaultExpectedHosts)
            .instanceId(instanceId)
            .healthChecks(checks)
            .states(states)
            .listener(listener)
            .clock(time)
            .sleeper(time)
            .random(new Random(7))
            .timing(timing)
            .pollInterval(Duration.ofSeconds(15))
            .stabilisation(Duration.ofSeconds(60))
            .keepImages(1)
            .terminationNotice(() -> Optional.ofNullable(terminationNotice))
            .serving((serving, now) -> servingSeen.add(serving))
            .build();
  }

  void pin(String service, String value) {
    ssm.put("/driftguard/" + service + "/image", value);
  }

  void pin(String service, ImageRef image) {
    pin(service, image.toString());
  }

  ReconcileLoop.PassResult pass() throws InterruptedException {
    ReconcileLoop.PassResult result = loop.runOnce();
    time.advance(Duration.ofSeconds(15));
    return result;
  }

  String runningDigest(String name) {
    return runtime
        .inspect(name)
        .flatMap(ContainerInfo::digest)
        .map(Object::toString)
        .orElse("none");
  }
}
