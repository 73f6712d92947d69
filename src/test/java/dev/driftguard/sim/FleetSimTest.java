package dev.driftguard.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftguard.desired.DesiredStateUnavailableException;
import dev.driftguard.desired.SsmDesiredStateSource;
import dev.driftguard.model.AwsCallListener;
import dev.driftguard.traffic.Elbv2TrafficGate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.services.dynamodb.model.ProvisionedThroughputExceededException;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.ElasticLoadBalancingV2Exception;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetDescription;
import software.amazon.awssdk.services.ssm.model.SsmException;

/** The simulator's parts, and small fleets through every scenario with the invariant checker. */
class FleetSimTest {
  private final Scheduler scheduler = new Scheduler();

  @Test
  void tokenBucket_emptiesThenRefillsAtItsRate() {
    TokenBucket bucket = new TokenBucket(40, 10);
    int taken = 0;
    while (bucket.tryTake(0, 1)) {
      taken++;
    }
    assertThat(taken).isEqualTo(40);
    assertThat(bucket.tryTake(99, 1)).isFalse();
    assertThat(bucket.tryTake(100, 1)).isTrue();
    assertThat(bucket.tryTake(100, 1)).isFalse();
  }

  @Test
  void lagged_showsWritesAfterTheirDelay_inOrder() {
    Lagged<String> v = new Lagged<>("a");
    v.write(0, 5_000, "b");
    v.write(1_000, 0, "c");

    assertThat(v.read(4_999)).isEqualTo("a");
    assertThat(v.read(5_000)).isEqualTo("c");
    assertThat(v.truth()).isEqualTo("c");
  }

  @Test
  void simulatedThrottling_isThrottlingToTheSdk_withAwsCodes() {
    List<AwsServiceException> errors =
        List.of(
            SimAws.error(
                SsmException.builder(), "Ssm", 400, "ThrottlingException", "Rate exceeded"),
            SimAws.error(
                ElasticLoadBalancingV2Exception.builder(),
                "ElasticLoadBalancingV2",
                400,
                "Throttling",
                "Rate exceeded"),
            SimAws.error(
                Ec2Exception.builder(),
                "Ec2",
                503,
                "RequestLimitExceeded",
                "Request limit exceeded."),
            SimAws.error(
                ProvisionedThroughputExceededException.builder(),
                "DynamoDb",
                400,
                "ProvisionedThroughputExceededException",
                "exceeded"));

    assertThat(errors).allMatch(AwsServiceException::isThrottlingException);
    assertThat(errors.get(3)).isInstanceOf(ProvisionedThroughputExceededException.class);
    assertThat(errors.get(0).awsErrorDetails().errorCode()).isEqualTo("ThrottlingException");
  }

  @Test
  void ssmBucket_throttlesTheRealAdapterAfter40CallsInASecond() {
    SimAws aws = new SimAws(scheduler, new SplittableRandom(1), 0, SimAws.defaultLimits());
    aws.seedParameter("/p", "x");
    SsmDesiredStateSource source =
        new SsmDesiredStateSource(new SimSsmClient(aws), AwsCallListener.NONE);
    for (int i = 0; i < 40; i++) {
      assertThat(source.read(List.of("/p"))).containsKey("/p");
    }

    assertThatThrownBy(() -> source.read(List.of("/p")))
        .isInstanceOfSatisfying(
            DesiredStateUnavailableException.class, e -> assertThat(e.throttled()).isTrue())
        .hasMessageContaining("ThrottlingException");
  }

  @Test
  void registerAndDeregister_takeFromOneBucketByDefault_orOneEachWhenSeparate() {
    assertThat(registrationsServedBeforeThrottling(SimAws.defaultLimits())).isEqualTo(20);
    assertThat(registrationsServedBeforeThrottling(SimAws.defaultLimits(false))).isEqualTo(40);
  }

  /** Alternating RegisterTargets and DeregisterTargets at one instant, until one is throttled. */
  private int registrationsServedBeforeThrottling(List<ApiLimit> limits) {
    SimAws aws = new SimAws(scheduler, new SplittableRandom(1), 0, limits);
    aws.createTargetGroup("arn", 5_000, 2, 2, 20_000, (id, port) -> true, (id, port, f, t) -> {});
    SimElbv2Client elbv2 = new SimElbv2Client(aws);
    TargetDescription target = TargetDescription.builder().id("i-1").port(80).build();
    for (int served = 0; served < 100; served++) {
      try {
        if (served % 2 == 0) {
          elbv2.registerTargets(b -> b.targetGroupArn("arn").targets(target));
        } else {
          elbv2.deregisterTargets(b -> b.targetGroupArn("arn").targets(target));
        }
      } catch (ElasticLoadBalancingV2Exception e) {
        assertThat(e.isThrottlingException()).isTrue();
        return served;
      }
    }
    return 100;
  }

  @Test
  void aCallCarryingPeers_mayTimeOutAtTheCaller_andLandLater_withinItsDeadline() {
    SimAws aws = new SimAws(scheduler, new SplittableRandom(1), 0, List.of());
    SimTargetGroup group =
        aws.createTargetGroup("arn", 5_000, 2, 2, 20_000, (id, port) -> true, (id, p, f, t) -> {});
    SimElbv2Client elbv2 = new SimElbv2Client(aws);
    List<TargetDescription> two =
        List.of(
            TargetDescription.builder().id("i-1").port(80).build(),
            TargetDescription.builder().id("i-2").port(80).build());
    int timedOut = 0;
    for (int i = 0; i < 200 && timedOut == 0; i++) {
      try {
        elbv2.registerTargets(
            b ->
                b.targetGroupArn("arn")
                    .targets(two)
                    .overrideConfiguration(o -> o.apiCallTimeout(Duration.ofSeconds(10))));
        elbv2.deregisterTargets(b -> b.targetGroupArn("arn").targets(two));
      } catch (ApiCallTimeoutException e) {
        timedOut++;
      }
    }

    assertThat(timedOut).isEqualTo(1);
    assertThat(aws.lateCalls).isEqualTo(1);
    scheduler.runUntil(10_000);
    assertThat(group.target("i-2", 80)).isNotNull();
  }

  @Test
  void registerTargets_refusesATerminatedInstance_andRegistersNoneOfTheRequest() {
    SimAws aws = new SimAws(scheduler, new SplittableRandom(1), 0, List.of());
    SimTargetGroup group =
        aws.createTargetGroup("arn", 5_000, 2, 2, 20_000, (id, port) -> true, (id, p, f, t) -> {});
    aws.terminated.add("i-2");

    assertThatThrownBy(
            () ->
                new SimElbv2Client(aws)
                    .registerTargets(
                        b ->
                            b.targetGroupArn("arn")
                                .targets(
                                    TargetDescription.builder().id("i-1").port(80).build(),
                                    TargetDescription.builder().id("i-2").port(80).build())))
        .isInstanceOfSatisfying(
            ElasticLoadBalancingV2Exception.class,
            e -> assertThat(e.isThrottlingException()).isFalse())
        .hasMessageContaining("not in a running state");
    assertThat(group.target("i-1", 80)).isNull();
  }

  @Test
  void parameterStore_readsLagTheWrite() {
    SimAws aws = new SimAws(scheduler, new SplittableRandom(1), 5_000, List.of());
    aws.seedParameter("/p", "old");
    SsmDesiredStateSource source =
        new SsmDesiredStateSource(new SimSsmClient(aws), AwsCallListener.NONE);
    aws.pin("/p", "new");
    boolean sawOld = source.read(List.of("/p")).get("/p").value().equals("old");
    scheduler.runUntil(5_001);

    assertThat(source.read(List.of("/p")).get("/p").value()).isEqualTo("new");
    assertThat(sawOld || aws.parameters.get("/p").read(0).value().equals("new")).isTrue();
  }

  @Test
  void targetGroup_initialThenHealthyAfterThreshold_drainingThenGoneAfterDelay() {
    SimAws aws = new SimAws(scheduler, new SplittableRandom(3), 0, List.of());
    boolean[] serving = {true};
    SimTargetGroup group =
        aws.createTargetGroup(
            "arn", 5_000, 2, 2, 20_000, (id, port) -> serving[0], (id, port, from, to) -> {});
    SimElbv2Client elbv2 = new SimElbv2Client(aws);
    Elbv2TrafficGate gate = new Elbv2TrafficGate(elbv2, "i-1", AwsCallListener.NONE);
    elbv2.registerTargets(
        b ->
            b.targetGroupArn("arn")
                .targets(TargetDescription.builder().id("i-1").port(80).build()));

    assertThat(group.target("i-1", 80).health).isEqualTo(SimTargetGroup.Health.INITIAL);
    scheduler.runUntil(4_999);
    assertThat(group.target("i-1", 80).health).isEqualTo(SimTargetGroup.Health.INITIAL);
    scheduler.runUntil(10_000);
    assertThat(group.target("i-1", 80).health).isEqualTo(SimTargetGroup.Health.HEALTHY);

    elbv2.deregisterTargets(
        b ->
            b.targetGroupArn("arn")
                .targets(TargetDescription.builder().id("i-1").port(80).build()));
    assertThat(group.target("i-1", 80).health).isEqualTo(SimTargetGroup.Health.DRAINING);
    scheduler.runUntil(30_000);
    assertThat(group.target("i-1", 80).health).isEqualTo(SimTargetGroup.Health.GONE);
    assertThat(elbv2.describeTargetHealth(b -> b.targetGroupArn("arn")).targetHealthDescriptions())
        .isEmpty();
    assertThat(gate).isNotNull();
  }

  @Test
  void targetGroup_whoseTargetStopsServing_turnsUnhealthy() {
    SimAws aws = new SimAws(scheduler, new SplittableRandom(3), 0, List.of());
    boolean[] serving = {true};
    SimTargetGroup group =
        aws.createTargetGroup(
            "arn", 5_000, 2, 2, 20_000, (id, port) -> serving[0], (id, port, from, to) -> {});
    group.seedHealthy("i-1", 80);
    serving[0] = false;

    scheduler.runUntil(10_000);

    assertThat(group.target("i-1", 80).health).isEqualTo(SimTargetGroup.Health.UNHEALTHY);
  }

  private static SimResult run(String scenario, int hosts, long seed, SimHost.Factory agents) {
    return new FleetSim(Scenario.named(scenario, hosts), seed, agents).run();
  }

  private static final SimHost.Factory MODEL = w -> new ModelAgent(w, ModelAgent::dynamoDb, false);

  @Test
  void goodDigest_everyHostConverges_withinTheBudget() {
    SimResult r = run("good", 60, 1, MODEL);

    assertThat(r.violationSamples()).isEmpty();
    assertThat(r.convergence).hasSize(60);
    assertThat(r.maxOutByAgents).isBetween(1, r.allowed);
    assertThat(r.throttledFailures).isZero();
  }

  @Test
  void badDigest_reachesAtMostMaxUnavailable_andTheFleetKeepsTheOldDigest() {
    SimResult r = run("bad", 60, 2, MODEL);

    assertThat(r.violationSamples()).isEmpty();
    assertThat(r.badDigestHosts).isBetween(1, r.allowed);
    assertThat(r.outcomes).containsKey("rolled_back");
  }

  @Test
  void stress_scaleOutDeathsSpotNoticesRestarts_breakNoInvariant() {
    SimResult r = run("stress", 60, 3, MODEL);

    assertThat(r.violationSamples()).isEmpty();
    assertThat(r.died + r.spotNotices + r.agentRestarts).isPositive();
    assertThat(r.survivors).isGreaterThan(60);
  }

  @Test
  void runOnce_completesOnce_evenWhenHostsDie() {
    SimResult r = run("deaths", 60, 4, w -> new ModelAgent(w, ModelAgent::dynamoDb, true));

    assertThat(r.violationSamples()).isEmpty();
    assertThat(r.runOnceCompleted).isEqualTo(1);
    assertThat(r.runOnceConcurrentMax).isEqualTo(1);
  }

  @Test
  void realLoop_runsInTheSimulator_andKeepsTheFloorWhenAwsIsConsistent() {
    quiet();
    SimResult r =
        new FleetSim(Scenario.named("good", 30).withConsistency(0, 0), 1, ReconcileLoopHost::new)
            .run();

    assertThat(r.violationSamples()).isEmpty();
    assertThat(r.convergence).hasSize(30);
    assertThat(r.maxOutByAgents).isBetween(1, r.allowed);
    assertThat(r.outcomes).containsEntry("success", 30);
  }

  @Test
  void realLoop_takesTurnsOnTheLease_underLagSkewAndDeaths() {
    quiet();
    SimResult r = new FleetSim(Scenario.named("deaths", 60), 2, ReconcileLoopHost::new).run();

    assertThat(r.violationSamples()).isEmpty();
    assertThat(r.died).isPositive();
    assertThat(r.maxOutByAgents).isBetween(1, r.allowed);
    assertThat(r.throttledFailures).isZero();
  }

  /** Thousands of agents log in one process; keep errors only. */
  private static void quiet() {
    ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("dev.driftguard"))
        .setLevel(ch.qos.logback.classic.Level.ERROR);
  }

  @Test
  void checker_catchesAnAgentThatLeavesWithoutTakingTurns() {
    // Every host deregisters as soon as it sees the pin: the checker must see the floor broken.
    SimHost.Factory reckless =
        w -> {
          Elbv2TrafficGate gate =
              new Elbv2TrafficGate(w.elbv2(), w.instanceId(), AwsCallListener.NONE);
          SsmDesiredStateSource desired = new SsmDesiredStateSource(w.ssm(), AwsCallListener.NONE);
          boolean[] left = {false};
          return () -> {
            Map<String, ?> records = desired.read(List.of(FleetSim.PARAMETER));
            if (!left[0] && records.toString().contains("sha256:2222")) {
              gate.deregister(w.services().get(0).trafficSpec().orElseThrow(), FleetSim.PORT);
              left[0] = true;
            }
            return Duration.ofSeconds(15);
          };
        };

    SimResult r = new FleetSim(Scenario.named("good", 40).withConsistency(0, 0), 5, reckless).run();

    assertThat(r.violations()).isPositive();
    assertThat(r.violationSamples()).anyMatch(v -> v.contains("out of service by their agents"));
    assertThat(r.maxOutByAgents).isGreaterThan(r.allowed);
  }
}
