package dev.driftguard.traffic;

import dev.driftguard.testing.RecordingAwsCalls;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftguard.cli.AwsClients;
import dev.driftguard.model.DesiredSource;
import dev.driftguard.model.RolloutSpec;
import dev.driftguard.model.ServiceSpec;
import dev.driftguard.model.TargetGroupArn;
import dev.driftguard.model.TrafficSpec;
import dev.driftguard.testing.Specs;
import dev.driftguard.testing.aws.AwsFault;
import dev.driftguard.testing.aws.Ec2Service;
import dev.driftguard.testing.aws.LocalAws;
import dev.driftguard.testing.aws.TargetGroup;
import dev.driftguard.testing.aws.TargetGroupConfig;
import dev.driftguard.traffic.TrafficGate.TargetState;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetHealthReasonEnum;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetHealthStateEnum;

/**
 * Through the real SDK client against {@link LocalAws}, whose target groups health-check a real
 * HTTP endpoint: states change in real time, so the groups check every 100 ms and the gate polls
 * every 25 ms.
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
    gate = gate(Duration.ofSeconds(1));
  }

  @AfterEach
  void stop() {
    app.close();
    clients.close();
    aws.close();
  }

  private Elbv2TrafficGate gate(Duration unhealthyGrace) {
    return new Elbv2TrafficGate(
        clients.elbv2(), instanceId, listener, Clock.systemUTC(), POLL, unhealthyGrace);
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
  void register_thenAwaitHealthy_returnsEmptyOnceTheGroupSaysHealthy() throws Exception {
    ServiceSpec web = service(group("web", 2, Duration.ZERO));

    gate.register(web, app.port());
    Optional<String> failure = gate.awaitHealthy(web, app.port());

    assertThat(failure).isEmpty();
    assertThat(gate.state(web, app.port())).isEqualTo(TargetState.HEALTHY);
    assertThat(listener.events())
        .startsWith("ok elbv2:RegisterTargets", "ok elbv2:DescribeTargetHealth")
        .allMatch(e -> e.startsWith("ok "));
  }

  @Test
  void register_twice_andDeregister_twice_succeed() {
    String arn = group("web", 2, Duration.ofSeconds(5));
    ServiceSpec web = service(arn);

    gate.register(web, app.port());
    gate.register(web, app.port());
    assertThat(aws.targetGroup(arn).health()).hasSize(1);

    gate.deregister(web, app.port());
    gate.deregister(web, app.port());
    assertThat(gate.state(web, app.port())).isEqualTo(TargetState.DRAINING);
  }

  @Test
  void deregister_neverRegistered_succeeds_andStateIsNotRegistered() {
    ServiceSpec web = service(group("web", 2, Duration.ZERO));

    gate.deregister(web, app.port());

    assertThat(gate.state(web, app.port())).isEqualTo(TargetState.NOT_REGISTERED);
  }

  @Test
  void awaitDrained_returnsWhenTheTargetIsGone_beforeTheTimeout() throws Exception {
    String arn = group("web", 2, Duration.ofMillis(400));
    ServiceSpec web =
        service(arn, app.port(), Duration.ofSeconds(10), Duration.ZERO, Duration.ofSeconds(10));
    gate.register(web, app.port());
    assertThat(gate.awaitHealthy(web, app.port())).isEmpty();

    gate.deregister(web, app.port());
    long startNanos = System.nanoTime();
    gate.awaitDrained(web, app.port());
    Duration took = Duration.ofNanos(System.nanoTime() - startNanos);

    assertThat(gate.state(web, app.port())).isEqualTo(TargetState.NOT_REGISTERED);
    assertThat(took).isBetween(Duration.ofMillis(250), Duration.ofSeconds(5));
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
    assertThat(gate.drainTimeout(traffic)).isEqualTo(Duration.ofSeconds(3));
    assertThat(listener.events())
        .containsExactly(
            "error elbv2:DescribeTargetGroupAttributes:AccessDenied",
            "ok elbv2:DescribeTargetGroupAttributes");
  }

  @Test
  void awaitDrained_stopsWaitingAtTheCap_whileTheTargetStillDrains() throws Exception {
    String arn = group("web", 2, Duration.ofSeconds(60));
    ServiceSpec web =
        service(arn, app.port(), null, Duration.ofMillis(300), Duration.ofSeconds(10));
    gate.register(web, app.port());
    gate.deregister(web, app.port());

    long startNanos = System.nanoTime();
    gate.awaitDrained(web, app.port());
    Duration took = Duration.ofNanos(System.nanoTime() - startNanos);

    assertThat(took).isBetween(Duration.ofMillis(250), Duration.ofSeconds(3));
    assertThat(gate.state(web, app.port())).isEqualTo(TargetState.DRAINING);
  }

  @Test
  void awaitHealthy_failingChecks_failsFastAfterTheGrace_notAtTheDeadline() throws Exception {
    app.status(500);
    ServiceSpec web =
        service(
            group("web", 2, Duration.ZERO),
            app.port(),
            null,
            Duration.ZERO,
            Duration.ofSeconds(20));
    gate.register(web, app.port());

    long startNanos = System.nanoTime();
    Optional<String> failure = gate.awaitHealthy(web, app.port());
    Duration took = Duration.ofNanos(System.nanoTime() - startNanos);

    assertThat(failure)
        .hasValueSatisfying(
            why ->
                assertThat(why)
                    .startsWith("unhealthy (Target.ResponseCodeMismatch")
                    .contains("[500]")
                    .matches(".* for 1\\.\\ds"));
    assertThat(took).isLessThan(Duration.ofSeconds(6));
  }

  @Test
  void awaitHealthy_flickeringTarget_recoversWithinTheGrace() throws Exception {
    app.status(500);
    ServiceSpec web = service(group("web", 2, Duration.ZERO));
    Elbv2TrafficGate patient = gate(Duration.ofSeconds(5));
    patient.register(web, app.port());
    assertThat(
            aws.targetGroup(web.traffic().targetGroupArn().value())
                .awaitState(
                    new TargetGroup.Target(instanceId, app.port()),
                    TargetGroup.UNHEALTHY,
                    Duration.ofSeconds(5)))
        .isTrue();

    app.status(200);

    assertThat(patient.awaitHealthy(web, app.port())).isEmpty();
  }

  @Test
  void awaitHealthy_neverDecided_givesUpAtTheDeadline() throws Exception {
    // Ten passes at 100 ms take a second: the target is still "initial" at the 200 ms deadline.
    ServiceSpec web =
        service(
            group("web", 10, Duration.ZERO),
            app.port(),
            null,
            Duration.ZERO,
            Duration.ofMillis(200));
    gate.register(web, app.port());

    Optional<String> failure = gate.awaitHealthy(web, app.port());

    assertThat(failure)
        .hasValueSatisfying(
            why -> assertThat(why).startsWith("not healthy within PT0.2S: initial ("));
  }

  @Test
  void awaitHealthy_targetNotRegistered_failsAfterTheGrace() throws Exception {
    ServiceSpec web = service(group("web", 2, Duration.ZERO));

    Optional<String> failure = gate.awaitHealthy(web, app.port());

    assertThat(failure)
        .hasValueSatisfying(why -> assertThat(why).startsWith("unused (Target.NotRegistered"));
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

    assertThatThrownBy(() -> gate.register(web, app.port()))
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

    assertThatThrownBy(() -> gate.state(web, app.port()))
        .isInstanceOf(TrafficGateException.class)
        .hasMessageContaining("ThrottlingException")
        .satisfies(e -> assertThat(((TrafficGateException) e).throttled()).isTrue());
  }

  @Test
  void serviceWithoutTraffic_isANoOp() throws Exception {
    ServiceSpec worker = Specs.web();

    gate.register(worker, 8080);
    gate.deregister(worker, 8080);
    gate.awaitDrained(worker, 8080);

    assertThat(gate.awaitHealthy(worker, 8080)).isEmpty();
    assertThat(gate.state(worker, 8080)).isEqualTo(TargetState.NOT_REGISTERED);
    assertThat(listener.events()).isEmpty();
  }

  @Test
  void map_coversEveryElbv2State() {
    assertThat(
            Elbv2TrafficGate.map(
                TargetHealthStateEnum.INITIAL, TargetHealthReasonEnum.ELB_REGISTRATION_IN_PROGRESS))
        .isEqualTo(TargetState.INITIAL);
    assertThat(Elbv2TrafficGate.map(TargetHealthStateEnum.HEALTHY, null))
        .isEqualTo(TargetState.HEALTHY);
    assertThat(
            Elbv2TrafficGate.map(
                TargetHealthStateEnum.UNHEALTHY, TargetHealthReasonEnum.TARGET_TIMEOUT))
        .isEqualTo(TargetState.UNHEALTHY);
    assertThat(
            Elbv2TrafficGate.map(
                TargetHealthStateEnum.DRAINING,
                TargetHealthReasonEnum.TARGET_DEREGISTRATION_IN_PROGRESS))
        .isEqualTo(TargetState.DRAINING);
    assertThat(Elbv2TrafficGate.map(TargetHealthStateEnum.UNHEALTHY_DRAINING, null))
        .isEqualTo(TargetState.DRAINING);
    assertThat(
            Elbv2TrafficGate.map(
                TargetHealthStateEnum.UNUSED, TargetHealthReasonEnum.TARGET_NOT_REGISTERED))
        .isEqualTo(TargetState.NOT_REGISTERED);
    assertThat(
            Elbv2TrafficGate.map(
                TargetHealthStateEnum.UNUSED, TargetHealthReasonEnum.TARGET_NOT_IN_USE))
        .isEqualTo(TargetState.UNUSED);
    assertThat(
            Elbv2TrafficGate.map(
                TargetHealthStateEnum.UNUSED, TargetHealthReasonEnum.TARGET_INVALID_STATE))
        .isEqualTo(TargetState.UNUSED);
    assertThat(Elbv2TrafficGate.map(TargetHealthStateEnum.UNAVAILABLE, null))
        .isEqualTo(TargetState.UNAVAILABLE);
    assertThat(Elbv2TrafficGate.map(TargetHealthStateEnum.UNKNOWN_TO_SDK_VERSION, null))
        .isEqualTo(TargetState.UNAVAILABLE);
    assertThat(Elbv2TrafficGate.map(null, null)).isEqualTo(TargetState.UNAVAILABLE);
  }
}
