package dev.driftguard.testing.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftguard.cli.AwsClients;
import dev.driftguard.testing.aws.TargetGroup.StateChange;
import dev.driftguard.testing.aws.TargetGroup.Target;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.elasticloadbalancingv2.ElasticLoadBalancingV2Client;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.ElasticLoadBalancingV2Exception;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.InvalidTargetException;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetDescription;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetGroupAttribute;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetGroupNotFoundException;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetHealthDescription;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetHealthReasonEnum;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetHealthStateEnum;

/**
 * Pins the ELBv2 behaviours of {@link LocalAws} through the real SDK client: target states driven
 * by real health checks against local HTTP servers, draining, documented idempotence, errors, and
 * the reverse proxy that routes only to healthy targets.
 */
class LocalAwsElbv2Test {
  private static final Duration INTERVAL = Duration.ofMillis(200);
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();
  private LocalAws aws;
  private AwsClients clients;
  private ElasticLoadBalancingV2Client elbv2;

  @BeforeEach
  void start() {
    aws = LocalAws.builder().start();
    clients = aws.newClients();
    elbv2 = clients.elbv2();
  }

  @AfterEach
  void stop() throws Exception {
    clients.close();
    aws.close();
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }

  @Test
  void register_startsInitial_andTurnsHealthyAfterThresholdRealChecks() throws Exception {
    String arn = group("web", 3, 2, Duration.ofSeconds(1));
    TestTarget app = target("a");
    String id = instance();
    Instant registered = Instant.now();

    elbv2.registerTargets(b -> b.targetGroupArn(arn).targets(td(id, app.port())));

    TargetHealthDescription first = health(arn, id, app.port());
    assertThat(first.targetHealth().state()).isEqualTo(TargetHealthStateEnum.INITIAL);
    assertThat(first.targetHealth().reason())
        .isIn(
            TargetHealthReasonEnum.ELB_REGISTRATION_IN_PROGRESS,
            TargetHealthReasonEnum.ELB_INITIAL_HEALTH_CHECKING);
    assertThat(first.target().port()).isEqualTo(app.port());
    assertThat(first.healthCheckPort()).isEqualTo(Integer.toString(app.port()));
    assertThat(awaitState(arn, id, app.port(), TargetHealthStateEnum.HEALTHY)).isTrue();

    assertThat(app.healthChecks.get()).isGreaterThanOrEqualTo(3);
    assertThat(app.lastUserAgent.get()).startsWith("ELB-HealthChecker/");
    List<StateChange> timeline = aws.timeline(arn);
    assertThat(timeline).extracting(StateChange::to).containsExactly("initial", "healthy");
    // Three checks, one interval apart: at least two intervals after registration.
    assertThat(Duration.between(registered, timeline.get(1).at()))
        .isGreaterThanOrEqualTo(INTERVAL.multipliedBy(2).minusMillis(50));
    TargetHealthDescription healthy = health(arn, id, app.port());
    assertThat(healthy.targetHealth().reason()).isNull();
  }

  @Test
  void failingChecks_makeTargetUnhealthy_withTheCodes_andPassingOnesBringItBack() throws Exception {
    String arn = group("web", 2, 2, Duration.ofSeconds(1));
    TestTarget app = target("a");
    String id = instance();
    elbv2.registerTargets(b -> b.targetGroupArn(arn).targets(td(id, app.port())));
    assertThat(awaitState(arn, id, app.port(), TargetHealthStateEnum.HEALTHY)).isTrue();

    app.healthStatus.set(503);

    assertThat(awaitState(arn, id, app.port(), TargetHealthStateEnum.UNHEALTHY)).isTrue();
    TargetHealthDescription sick = health(arn, id, app.port());
    assertThat(sick.targetHealth().reason())
        .isEqualTo(TargetHealthReasonEnum.TARGET_RESPONSE_CODE_MISMATCH);
    assertThat(sick.targetHealth().description()).contains("[503]");

    app.healthStatus.set(200);

    assertThat(awaitState(arn, id, app.port(), TargetHealthStateEnum.HEALTHY)).isTrue();
    assertThat(aws.timeline(arn))
        .extracting(StateChange::to)
        .containsExactly("initial", "healthy", "unhealthy", "healthy");
  }

  @Test
  void targetThatRefusesConnections_goesUnhealthyWithFailedHealthChecks() throws Exception {
    String arn = group("web", 2, 2, Duration.ofSeconds(1));
    TestTarget app = target("gone");
    int port = app.port();
    app.close();
    String id = instance();

    elbv2.registerTargets(b -> b.targetGroupArn(arn).targets(td(id, port)));

    assertThat(awaitState(arn, id, port, TargetHealthStateEnum.UNHEALTHY)).isTrue();
    assertThat(health(arn, id, port).targetHealth().reason())
        .isEqualTo(TargetHealthReasonEnum.TARGET_FAILED_HEALTH_CHECKS);
  }

  @Test
  void deregister_drainsForTheDelay_thenTheTargetIsGoneAndUnused() throws Exception {
    Duration delay = Duration.ofMillis(800);
    String arn = group("web", 2, 2, delay);
    TestTarget app = target("a");
    String id = instance();
    elbv2.registerTargets(b -> b.targetGroupArn(arn).targets(td(id, app.port())));
    assertThat(awaitState(arn, id, app.port(), TargetHealthStateEnum.HEALTHY)).isTrue();

    elbv2.deregisterTargets(b -> b.targetGroupArn(arn).targets(td(id, app.port())));

    List<TargetHealthDescription> all =
        elbv2.describeTargetHealth(b -> b.targetGroupArn(arn)).targetHealthDescriptions();
    assertThat(all).hasSize(1);
    assertThat(all.get(0).targetHealth().state()).isEqualTo(TargetHealthStateEnum.DRAINING);
    assertThat(all.get(0).targetHealth().reason())
        .isEqualTo(TargetHealthReasonEnum.TARGET_DEREGISTRATION_IN_PROGRESS);
    assertThat(
            Await.until(
                WAIT,
                () ->
                    elbv2
                        .describeTargetHealth(b -> b.targetGroupArn(arn))
                        .targetHealthDescriptions()
                        .isEmpty()))
        .isTrue();
    TargetHealthDescription gone = health(arn, id, app.port());
    assertThat(gone.targetHealth().state()).isEqualTo(TargetHealthStateEnum.UNUSED);
    assertThat(gone.targetHealth().reason())
        .isEqualTo(TargetHealthReasonEnum.TARGET_NOT_REGISTERED);
    List<StateChange> timeline = aws.timeline(arn);
    assertThat(timeline).extracting(StateChange::to).endsWith("draining", "unused");
    StateChange draining = timeline.get(timeline.size() - 2);
    StateChange unused = timeline.get(timeline.size() - 1);
    assertThat(Duration.between(draining.at(), unused.at()))
        .isGreaterThanOrEqualTo(delay.minusMillis(20));
  }

  @Test
  void deregisteringATargetThatIsNotRegistered_succeeds_andItIsUnused() {
    String arn = group("web", 2, 2, Duration.ofSeconds(1));
    String id = instance();

    elbv2.deregisterTargets(b -> b.targetGroupArn(arn).targets(td(id, 8080)));

    assertThat(health(arn, id, 8080).targetHealth().state())
        .isEqualTo(TargetHealthStateEnum.UNUSED);
    assertThat(aws.timeline(arn)).isEmpty();
  }

  @Test
  void registeringTwice_changesNothing_andReRegisteringADrainingTargetStartsItOver()
      throws Exception {
    String arn = group("web", 2, 2, Duration.ofSeconds(30));
    TestTarget app = target("a");
    String id = instance();
    TargetDescription t = TargetDescription.builder().id(id).port(app.port()).build();
    elbv2.registerTargets(b -> b.targetGroupArn(arn).targets(t));
    assertThat(awaitState(arn, id, app.port(), TargetHealthStateEnum.HEALTHY)).isTrue();

    elbv2.registerTargets(b -> b.targetGroupArn(arn).targets(t));
    assertThat(health(arn, id, app.port()).targetHealth().state())
        .isEqualTo(TargetHealthStateEnum.HEALTHY);

    elbv2.deregisterTargets(b -> b.targetGroupArn(arn).targets(t));
    elbv2.registerTargets(b -> b.targetGroupArn(arn).targets(t));

    assertThat(health(arn, id, app.port()).targetHealth().state())
        .isEqualTo(TargetHealthStateEnum.INITIAL);
    assertThat(awaitState(arn, id, app.port(), TargetHealthStateEnum.HEALTHY)).isTrue();
  }

  @Test
  void errors_haveAwsCodes() {
    String arn = group("web", 2, 2, Duration.ofSeconds(1));
    String missing = arn.replace("targetgroup/web/", "targetgroup/other/");

    assertThatThrownBy(() -> elbv2.describeTargetHealth(b -> b.targetGroupArn(missing)))
        .isInstanceOf(TargetGroupNotFoundException.class);
    assertThatThrownBy(
            () ->
                elbv2.registerTargets(
                    b -> b.targetGroupArn(arn).targets(td("i-0123456789abcdef0", 80))))
        .isInstanceOf(InvalidTargetException.class);
    assertThatThrownBy(
            () ->
                elbv2.registerTargets(
                    b ->
                        b.targetGroupArn(arn)
                            .targets(TargetDescription.builder().id("nope").build())))
        .isInstanceOfSatisfying(
            ElasticLoadBalancingV2Exception.class,
            e -> {
              assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationError");
              assertThat(e.statusCode()).isEqualTo(400);
            });
  }

  @Test
  void describeTargetGroups_andAttributes_reportTheSettings() {
    String arn =
        aws.elbv2()
            .createTargetGroup(
                new TargetGroupConfig(
                    "web-staging",
                    8080,
                    "/healthz",
                    3,
                    4,
                    Duration.ofMillis(1500),
                    Duration.ofMillis(500),
                    Duration.ofSeconds(7)));
    assertThat(arn)
        .matches(
            "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-staging/[0-9a-f]{16}");

    var group = elbv2.describeTargetGroups(b -> b.names("web-staging")).targetGroups().get(0);
    assertThat(group.targetGroupArn()).isEqualTo(arn);
    assertThat(group.port()).isEqualTo(8080);
    assertThat(group.healthCheckPath()).isEqualTo("/healthz");
    assertThat(group.healthyThresholdCount()).isEqualTo(3);
    assertThat(group.unhealthyThresholdCount()).isEqualTo(4);
    assertThat(group.healthCheckIntervalSeconds()).isEqualTo(2);
    assertThat(group.loadBalancerArns()).hasSize(1);
    assertThat(elbv2.describeTargetGroups(b -> b.targetGroupArns(arn)).targetGroups()).hasSize(1);
    assertThatThrownBy(() -> elbv2.describeTargetGroups(b -> b.names("nope")))
        .isInstanceOf(TargetGroupNotFoundException.class);

    assertThat(delayAttribute(arn)).isEqualTo("7");
    elbv2.modifyTargetGroupAttributes(
        b ->
            b.targetGroupArn(arn)
                .attributes(
                    TargetGroupAttribute.builder()
                        .key("deregistration_delay.timeout_seconds")
                        .value("30")
                        .build()));
    assertThat(delayAttribute(arn)).isEqualTo("30");
    assertThat(aws.targetGroup(arn).config().deregistrationDelay())
        .isEqualTo(Duration.ofSeconds(30));
    assertThatThrownBy(
            () ->
                elbv2.modifyTargetGroupAttributes(
                    b ->
                        b.targetGroupArn(arn)
                            .attributes(
                                TargetGroupAttribute.builder()
                                    .key("deregistration_delay.timeout_seconds")
                                    .value("3601")
                                    .build())))
        .isInstanceOfSatisfying(
            ElasticLoadBalancingV2Exception.class,
            e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationError"));
  }

  @Test
  void proxy_routesOnlyToHealthyTargets_roundRobin() throws Exception {
    String arn = group("web", 2, 2, Duration.ofSeconds(1));
    TestTarget a = target("a");
    TestTarget b = target("b");
    TestTarget starting = target("starting");
    starting.healthStatus.set(500);
    String ia = instance();
    String ib = instance();
    String ic = instance();
    elbv2.registerTargets(
        r ->
            r.targetGroupArn(arn)
                .targets(td(ia, a.port()), td(ib, b.port()), td(ic, starting.port())));
    assertThat(awaitState(arn, ia, a.port(), TargetHealthStateEnum.HEALTHY)).isTrue();
    assertThat(awaitState(arn, ib, b.port(), TargetHealthStateEnum.HEALTHY)).isTrue();

    List<String> bodies = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      HttpResponse<String> r = get(arn, "/");
      assertThat(r.statusCode()).isEqualTo(200);
      bodies.add(r.body());
    }

    assertThat(bodies).containsOnly("a", "b");
    assertThat(bodies).filteredOn("a"::equals).hasSize(5);
    assertThat(starting.requests.get()).isZero();
    assertThat(aws.targetGroup(arn).requestsRouted(new Target(ia, a.port()))).isEqualTo(5);
  }

  @Test
  void proxy_withoutHealthyTarget_answers503() throws Exception {
    String arn = group("web", 2, 2, Duration.ofSeconds(1));

    assertThat(get(arn, "/").statusCode()).isEqualTo(503);
  }

  @Test
  void proxy_letsAnInFlightRequestToADrainingTargetComplete_andSendsItNothingNew()
      throws Exception {
    String arn = group("web", 2, 2, Duration.ofSeconds(5));
    TestTarget app = target("a");
    String id = instance();
    elbv2.registerTargets(b -> b.targetGroupArn(arn).targets(td(id, app.port())));
    assertThat(awaitState(arn, id, app.port(), TargetHealthStateEnum.HEALTHY)).isTrue();

    CompletableFuture<HttpResponse<String>> inFlight =
        http.sendAsync(request(arn, "/slow"), HttpResponse.BodyHandlers.ofString());
    assertThat(app.slowArrived.await(5, TimeUnit.SECONDS)).isTrue();
    elbv2.deregisterTargets(b -> b.targetGroupArn(arn).targets(td(id, app.port())));
    assertThat(health(arn, id, app.port()).targetHealth().state())
        .isEqualTo(TargetHealthStateEnum.DRAINING);
    int before = app.requests.get();

    assertThat(get(arn, "/").statusCode()).isEqualTo(503);
    app.releaseSlow();

    HttpResponse<String> done = inFlight.get(5, TimeUnit.SECONDS);
    assertThat(done.statusCode()).isEqualTo(200);
    assertThat(done.body()).isEqualTo("a");
    assertThat(app.requests.get()).isEqualTo(before);
  }

  @Test
  void timeline_countsHostsOutOfServiceAtOnce() {
    Instant t0 = Instant.parse("2030-01-01T00:00:00Z");
    Target a = new Target("i-0000000a", 80);
    Target b = new Target("i-0000000b", 80);
    Target b2 = new Target("i-0000000b", 81);
    List<StateChange> changes =
        List.of(
            new StateChange(t0, a, "unused", "initial", null),
            new StateChange(t0, b, "unused", "initial", null),
            new StateChange(t0.plusSeconds(1), a, "initial", "healthy", null),
            new StateChange(t0.plusSeconds(1), b, "initial", "healthy", null),
            // start-first on b: the second port becomes healthy before the first drains.
            new StateChange(t0.plusSeconds(2), b2, "unused", "initial", null),
            new StateChange(t0.plusSeconds(3), b2, "initial", "healthy", null),
            new StateChange(t0.plusSeconds(4), b, "healthy", "draining", null),
            // stop-first on a: out of service for 3 s.
            new StateChange(t0.plusSeconds(5), a, "healthy", "draining", null),
            new StateChange(t0.plusSeconds(6), a, "draining", "unused", null),
            new StateChange(t0.plusSeconds(7), a, "unused", "initial", null),
            new StateChange(t0.plusSeconds(8), a, "initial", "healthy", null));

    assertThat(TargetGroup.maxHostsOutOfService(changes)).isEqualTo(1);
    assertThat(TargetGroup.longestOutOfService(changes, t0.plusSeconds(9)))
        .isEqualTo(Duration.ofSeconds(3));
  }

  // ---- helpers -------------------------------------------------------------------------------

  private String group(String name, int healthy, int unhealthy, Duration delay) {
    return aws.createTargetGroup(name, "/healthz", healthy, unhealthy, INTERVAL, delay);
  }

  private TestTarget target(String name) throws Exception {
    TestTarget t = new TestTarget(name);
    closeables.add(t);
    return t;
  }

  private String instance() {
    String id = Ec2Service.newInstanceId();
    aws.addInstance(id, Map.of("Name", "web_staging"));
    return id;
  }

  private static TargetDescription td(String id, int port) {
    return TargetDescription.builder().id(id).port(port).build();
  }

  private TargetHealthDescription health(String arn, String id, int port) {
    return elbv2
        .describeTargetHealth(b -> b.targetGroupArn(arn).targets(td(id, port)))
        .targetHealthDescriptions()
        .get(0);
  }

  private boolean awaitState(String arn, String id, int port, TargetHealthStateEnum state)
      throws InterruptedException {
    return Await.until(WAIT, () -> health(arn, id, port).targetHealth().state() == state);
  }

  private String delayAttribute(String arn) {
    return elbv2.describeTargetGroupAttributes(b -> b.targetGroupArn(arn)).attributes().stream()
        .filter(a -> a.key().equals("deregistration_delay.timeout_seconds"))
        .findFirst()
        .orElseThrow()
        .value();
  }

  private HttpRequest request(String arn, String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + aws.proxyPort(arn) + path))
        .timeout(Duration.ofSeconds(10))
        .build();
  }

  private HttpResponse<String> get(String arn, String path) throws Exception {
    return http.send(request(arn, path), HttpResponse.BodyHandlers.ofString());
  }
}
