package dev.driftguard.traffic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftguard.cli.AwsClients;
import dev.driftguard.model.DesiredSource;
import dev.driftguard.model.GroupSettings;
import dev.driftguard.model.RolloutSpec;
import dev.driftguard.model.ServiceSpec;
import dev.driftguard.model.TargetCall;
import dev.driftguard.model.TargetGroupArn;
import dev.driftguard.model.TargetHealthCheck;
import dev.driftguard.model.TargetId;
import dev.driftguard.model.TargetState;
import dev.driftguard.model.TrafficSpec;
import dev.driftguard.testing.RecordingAwsCalls;
import dev.driftguard.testing.Specs;
import dev.driftguard.testing.aws.AwsFault;
import dev.driftguard.testing.aws.Ec2Service;
import dev.driftguard.testing.aws.FaultRule;
import dev.driftguard.testing.aws.LocalAws;
import dev.driftguard.testing.aws.TargetGroup;
import dev.driftguard.testing.aws.TargetGroupConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Through the real SDK client against {@link LocalAws}, whose target groups health-check a real
 * HTTP endpoint: states change in real time, so the groups check every 100 ms and the tests poll
 * every 25 ms. The waits themselves (drain timeout, unhealthy grace, deadlines) are the deploy
 * steps' and are tested in {@code reconcile/DeployStepsTest}.
 */
@Timeout(30)
class Elbv2TrafficGateTest {
  private static final Duration POLL = Duration.ofMillis(25);
  private static final Duration CHECK_INTERVAL = Duration.ofMillis(100);

  /** Generous against a loaded machine: a check that times out would make the target flicker. */
  private static final Duration CHECK_TIMEOUT = Duration.ofMillis(90);

  private LocalAws aws;
  private AwsClients clients;
  private HealthEndpoint app;
  private RecordingAwsCalls listener;
  private String instanceId;
  private Elbv2TrafficGate gate;

  @BeforeEach
  void start() {
    aws = LocalAws.builder().start();
    clients = aws.newClients();
    app = new HealthEndpoint();
    listener = new RecordingAwsCalls();
    instanceId = Ec2Service.newInstanceId();
    aws.addInstance(instanceId, Map.of("Name", "web_staging"));
    gate = gate();
  }

  @AfterEach
  void stop() {
    app.close();
    clients.close();
    aws.close();
  }

  private Elbv2TrafficGate gate() {
    return new Elbv2TrafficGate(clients.elbv2(), instanceId, listener);
  }

  /** Polls the gate's state (every 25 ms) until it is {@code expected}; false on timeout. */
  private boolean pollUntil(TrafficSpec traffic, int port, TargetState expected, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (gate.state(traffic, port) == expected) {
        return true;
      }
      Thread.sleep(POLL.toMillis());
    }
    return false;
  }

  private String group(String name, int healthyThreshold, Duration delay) {
    return aws.elbv2()
        .createTargetGroup(
            new TargetGroupConfig(
                name, 80, "/healthz", healthyThreshold, 2, CHECK_INTERVAL, CHECK_TIMEOUT, delay));
  }

  private static ServiceSpec service(
      String arn, int port, Duration drainTimeout, Duration cap, Duration healthyDeadline) {
    return new ServiceSpec(
        "web_staging",
        new DesiredSource.Ssm("/driftguard/web_staging/image"),
        Set.of(Specs.REGISTRY),
        Specs.container(),
        Specs.dockerHealth(),
        new TrafficSpec(TargetGroupArn.parse(arn), port, drainTimeout, cap, healthyDeadline),
        RolloutSpec.stopFirst());
  }

  private ServiceSpec service(String arn) {
    return service(arn, app.port(), null, Duration.ofSeconds(5), Duration.ofSeconds(10));
  }

  @Test
  void register_thenState_turnsHealthyOnceTheGroupSaysSo() throws Exception {
    ServiceSpec web = service(group("web", 2, Duration.ZERO));

    gate.register(web.traffic(), app.port());

    assertThat(pollUntil(web.traffic(), app.port(), TargetState.HEALTHY, Duration.ofSeconds(10)))
        .isTrue();
    assertThat(gate.state(web.traffic(), app.port())).isEqualTo(TargetState.HEALTHY);
    assertThat(listener.events())
        .startsWith("ok elbv2:RegisterTargets", "ok elbv2:DescribeTargetHealth")
        .allMatch(e -> e.startsWith("ok "));
  }

  @Test
  void register_twice_andDeregister_twice_succeed() {
    String arn = group("web", 2, Duration.ofSeconds(5));
    ServiceSpec web = service(arn);

    gate.register(web.traffic(), app.port());
    gate.register(web.traffic(), app.port());
    assertThat(aws.targetGroup(arn).health()).hasSize(1);

    gate.deregister(web.traffic(), app.port());
    gate.deregister(web.traffic(), app.port());
    assertThat(gate.state(web.traffic(), app.port())).isEqualTo(TargetState.DRAINING);
  }

  @Test
  void call_carryingPeers_changesEveryTargetInOneRequest() {
    String arn = group("web", 2, Duration.ofSeconds(5));
    ServiceSpec web = service(arn);
    String peer1 = Ec2Service.newInstanceId();
    String peer2 = Ec2Service.newInstanceId();
    aws.addInstance(peer1, Map.of("Name", "web_staging"));
    aws.addInstance(peer2, Map.of("Name", "web_staging"));
    List<TargetId> peers = List.of(new TargetId(peer1, 8080), new TargetId(peer2, 8081));

    gate.call(TargetCall.REGISTER, web.traffic(), app.port(), peers);

    assertThat(aws.targetGroup(arn).health())
        .extracting(h -> h.target().id() + ":" + h.target().port())
        .containsExactlyInAnyOrder(instanceId + ":" + app.port(), peer1 + ":8080", peer2 + ":8081");
    gate.call(TargetCall.DEREGISTER, web.traffic(), app.port(), peers);

    assertThat(aws.targetGroup(arn).health())
        .extracting(TargetGroup.Health::state)
        .containsOnly("draining");
    assertThat(listener.events())
        .containsExactly("ok elbv2:RegisterTargets", "ok elbv2:DeregisterTargets");
    assertThat(aws.requestBodies("elbv2", "DeregisterTargets"))
        .singleElement()
        .asString()
        .contains("Targets.member.3.Id=" + peer2);
  }

  @Test
  void call_forThisHostAlone_isItsOwnRegistration() {
    String arn = group("web", 2, Duration.ofSeconds(5));
    ServiceSpec web = service(arn);

    gate.call(TargetCall.REGISTER, web.traffic(), app.port(), List.of());

    assertThat(aws.targetGroup(arn).health()).hasSize(1);
  }

  @Test
  void deregister_neverRegistered_succeeds_andStateIsNotRegistered() {
    ServiceSpec web = service(group("web", 2, Duration.ZERO));

    gate.deregister(web.traffic(), app.port());

    assertThat(gate.state(web.traffic(), app.port())).isEqualTo(TargetState.NOT_REGISTERED);
  }

  @Test
  void deregister_drainsForTheDeregistrationDelay_thenTheTargetIsGone() throws Exception {
    String arn = group("web", 2, Duration.ofMillis(400));
    ServiceSpec web =
        service(arn, app.port(), Duration.ofSeconds(10), Duration.ZERO, Duration.ofSeconds(10));
    gate.register(web.traffic(), app.port());
    assertThat(pollUntil(web.traffic(), app.port(), TargetState.HEALTHY, Duration.ofSeconds(10)))
        .isTrue();

    gate.deregister(web.traffic(), app.port());
    long startNanos = System.nanoTime();
    assertThat(gate.state(web.traffic(), app.port())).isEqualTo(TargetState.DRAINING);
    assertThat(
            pollUntil(web.traffic(), app.port(), TargetState.NOT_REGISTERED, Duration.ofSeconds(5)))
        .isTrue();
    Duration took = Duration.ofNanos(System.nanoTime() - startNanos);

    assertThat(took).isBetween(Duration.ofMillis(250), Duration.ofSeconds(5));
  }

  @Test
  void groupSettings_readOnce_areKnown_andAPeerAdoptsThemWithoutReadingElbv2() {
    String arn = group("web", 2, Duration.ofSeconds(3));
    TrafficSpec traffic =
        service(arn, 80, null, Duration.ofSeconds(20), Duration.ofSeconds(1)).traffic();
    assertThat(gate.knownGroupSettings(traffic)).isEmpty();

    gate.learnGroupSettings(traffic);
    GroupSettings read = gate.knownGroupSettings(traffic).orElseThrow();
    assertThat(read.deregistrationDelay()).isEqualTo(Duration.ofSeconds(3));
    assertThat(read.healthCheck()).isEqualTo(gate.healthCheck(traffic));

    Elbv2TrafficGate peer = gate();
    int before = settingsReads();
    peer.adoptGroupSettings(traffic, read);
    assertThat(peer.deregistrationDelay(traffic)).contains(Duration.ofSeconds(3));
    assertThat(peer.healthCheck(traffic)).isEqualTo(read.healthCheck());
    assertThat(peer.knownGroupSettings(traffic)).contains(read);
    assertThat(settingsReads()).isEqualTo(before);
  }

  @Test
  void learnGroupSettings_throttled_throws_soTheGateWaitsWhileTheHostStillServes() {
    String arn = group("web", 2, Duration.ofSeconds(3));
    TrafficSpec traffic =
        service(arn, 80, null, Duration.ofSeconds(20), Duration.ofSeconds(1)).traffic();
    aws.failNext("elbv2", "DescribeTargetGroupAttributes", 100, FaultRule.throttling("elbv2"));

    assertThatThrownBy(() -> gate.learnGroupSettings(traffic))
        .isInstanceOfSatisfying(
            TrafficGateException.class, e -> assertThat(e.throttled()).isTrue());
    assertThat(gate.knownGroupSettings(traffic)).isEmpty();
  }

  private int settingsReads() {
    return aws.calls("elasticloadbalancing", "DescribeTargetGroupAttributes")
        + aws.calls("elbv2", "DescribeTargetGroupAttributes")
        + aws.calls("elasticloadbalancing", "DescribeTargetGroups")
        + aws.calls("elbv2", "DescribeTargetGroups");
  }

  @Test
  void drainTimeout_auto_isTheGroupsDeregistrationDelay_readOncePerGroup() {
    String arn = group("web", 2, Duration.ofSeconds(3));
    ServiceSpec web = service(arn, app.port(), null, Duration.ofMinutes(5), Duration.ofSeconds(10));

    assertThat(gate.drainTimeout(web.traffic())).isEqualTo(Duration.ofSeconds(3));
    assertThat(gate.drainTimeout(web.traffic())).isEqualTo(Duration.ofSeconds(3));

    assertThat(
            aws.calls("elasticloadbalancing", "DescribeTargetGroupAttributes")
                + aws.calls("elbv2", "DescribeTargetGroupAttributes"))
        .isEqualTo(1);
  }

  @Test
  void drainTimeout_auto_isCapped_andExplicitIsTakenAsIs() {
    String arn = group("web", 2, Duration.ofSeconds(300));

    assertThat(
            gate.drainTimeout(
                service(arn, 80, null, Duration.ofSeconds(30), Duration.ofSeconds(1)).traffic()))
        .isEqualTo(Duration.ofSeconds(30));
    assertThat(
            gate.drainTimeout(
                service(
                        arn,
                        80,
                        Duration.ofSeconds(7),
                        Duration.ofSeconds(30),
                        Duration.ofSeconds(1))
                    .traffic()))
        .isEqualTo(Duration.ofSeconds(7));
  }

  @Test
  void drainTimeout_auto_whenAttributesFail_isTheCap_andIsNotCached() {
    String arn = group("web", 2, Duration.ofSeconds(3));
    TrafficSpec traffic =
        service(arn, 80, null, Duration.ofSeconds(20), Duration.ofSeconds(1)).traffic();
    aws.failNext(
        "elbv2",
        "DescribeTargetGroupAttributes",
        1,
        AwsFault.badRequest(
            "AccessDenied", "not authorized to perform DescribeTargetGroupAttributes"));

    assertThat(gate.drainTimeout(traffic)).isEqualTo(Duration.ofSeconds(20));
    assertThat(gate.deregistrationDelay(traffic)).contains(Duration.ofSeconds(3));
    assertThat(listener.events())
        .containsExactly(
            "error elbv2:DescribeTargetGroupAttributes:AccessDenied",
            "ok elbv2:DescribeTargetGroupAttributes");
  }

  @Test
  void healthCheck_isTheGroupsIntervalAndHealthyThreshold_readOncePerGroup() {
    ServiceSpec web = service(group("web", 3, Duration.ZERO));

    TargetHealthCheck first = gate.healthCheck(web.traffic());
    TargetHealthCheck again = gate.healthCheck(web.traffic());

    // The group checks every 100 ms; AWS reports the interval in whole seconds.
    assertThat(first).isEqualTo(new TargetHealthCheck(Duration.ofSeconds(1), 3));
    assertThat(again).isEqualTo(first);
    assertThat(listener.events()).containsExactly("ok elbv2:DescribeTargetGroups");
  }

  @Test
  void healthCheck_throttled_throwsWithContext_andIsNotCached() {
    String arn = group("web", 2, Duration.ZERO);
    TrafficSpec traffic = service(arn).traffic();
    aws.throttleNext("elbv2", "DescribeTargetGroups", 10);

    assertThatThrownBy(() -> gate.healthCheck(traffic))
        .isInstanceOf(TrafficGateException.class)
        .hasMessageContaining("ELBv2 DescribeTargetGroups failed for target group " + arn)
        .satisfies(e -> assertThat(((TrafficGateException) e).throttled()).isTrue());
  }

  /**
   * A policy without DescribeTargetGroups (an upgrade that kept the old one) must not keep a
   * registered host waiting for good: ELBv2's default checks are assumed, and read again next time.
   */
  @Test
  void healthCheck_refused_assumesElbv2sDefaults_andIsNotCached() {
    String arn = group("web", 2, Duration.ZERO);
    TrafficSpec traffic = service(arn).traffic();
    aws.failNext(
        "elbv2",
        "DescribeTargetGroups",
        1,
        AwsFault.badRequest("AccessDenied", "not authorized to perform DescribeTargetGroups"));

    assertThat(gate.healthCheck(traffic))
        .isEqualTo(new TargetHealthCheck(Duration.ofSeconds(30), 5));
    assertThat(gate.healthCheck(traffic))
        .isEqualTo(new TargetHealthCheck(Duration.ofSeconds(1), 2));
    assertThat(listener.events())
        .containsExactly(
            "error elbv2:DescribeTargetGroups:AccessDenied", "ok elbv2:DescribeTargetGroups");
  }

  @Test
  void deregistrationDelay_whenAttributesFail_isEmpty_andIsNotCached() {
    String arn = group("web", 2, Duration.ofSeconds(3));
    TrafficSpec traffic =
        service(arn, 80, Duration.ofSeconds(7), Duration.ofSeconds(20), Duration.ofSeconds(1))
            .traffic();
    aws.failNext(
        "elbv2",
        "DescribeTargetGroupAttributes",
        1,
        AwsFault.badRequest(
            "AccessDenied", "not authorized to perform DescribeTargetGroupAttributes"));

    assertThat(gate.deregistrationDelay(traffic)).isEmpty();
    assertThat(gate.deregistrationDelay(traffic)).contains(Duration.ofSeconds(3));
    assertThat(gate.deregistrationDelay(traffic)).contains(Duration.ofSeconds(3));
    assertThat(listener.events())
        .containsExactly(
            "error elbv2:DescribeTargetGroupAttributes:AccessDenied",
            "ok elbv2:DescribeTargetGroupAttributes");
  }

  @Test
  void register_failure_isTranslatedWithContext() {
    String arn = group("web", 2, Duration.ZERO);
    ServiceSpec web = service(arn);
    aws.failNext(
        "elbv2",
        "RegisterTargets",
        1,
        AwsFault.badRequest("InvalidTarget", "The following targets are not in a running state"));

    assertThatThrownBy(() -> gate.register(web.traffic(), app.port()))
        .isInstanceOf(TrafficGateException.class)
        .hasMessageContaining(
            "ELBv2 RegisterTargets failed for target " + instanceId + ":" + app.port())
        .hasMessageContaining(arn)
        .hasMessageContaining(
            "InvalidTarget (HTTP 400): The following targets are not in a running state")
        .satisfies(e -> assertThat(((TrafficGateException) e).throttled()).isFalse());
    assertThat(listener.events()).containsExactly("error elbv2:RegisterTargets:InvalidTarget");
  }

  @Test
  void state_throttledBeyondRetries_saysThrottled() {
    ServiceSpec web = service(group("web", 2, Duration.ZERO));
    aws.throttleNext("elbv2", "DescribeTargetHealth", 10);

    assertThatThrownBy(() -> gate.state(web.traffic(), app.port()))
        .isInstanceOf(TrafficGateException.class)
        .hasMessageContaining("Throttling (HTTP 400)")
        .satisfies(e -> assertThat(((TrafficGateException) e).throttled()).isTrue());
  }
}
