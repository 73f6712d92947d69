package dev.driftguard.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.sun.net.httpserver.HttpServer;
import dev.driftguard.cli.AwsClients;
import dev.driftguard.fleet.FleetCoordinator.PeerTarget;
import dev.driftguard.fleet.FleetCoordinator.PublishedState;
import dev.driftguard.model.DesiredSource;
import dev.driftguard.model.Digest;
import dev.driftguard.model.RolloutSpec;
import dev.driftguard.model.ServiceSpec;
import dev.driftguard.model.TargetGroupArn;
import dev.driftguard.model.TargetState;
import dev.driftguard.model.TrafficSpec;
import dev.driftguard.testing.FakeTime;
import dev.driftguard.testing.RecordingAwsCalls;
import dev.driftguard.testing.Specs;
import dev.driftguard.testing.aws.AwsFault;
import dev.driftguard.testing.aws.Ec2Service;
import dev.driftguard.testing.aws.LocalAws;
import dev.driftguard.testing.aws.TargetGroup;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/** Through the real SDK clients against {@link LocalAws}; publishing in virtual time. */
@Timeout(30)
class AwsFleetCoordinatorTest {
  private static final Digest V1 = Digest.parse("sha256:" + "1".repeat(64));
  private static final Digest V2 = Digest.parse("sha256:" + "2".repeat(64));
  private static final Digest V3 = Digest.parse("sha256:" + "3".repeat(64));
  private static final Duration INTERVAL = Duration.ofSeconds(5);

  private LocalAws aws;
  private AwsClients clients;
  private RecordingAwsCalls listener;
  private FakeTime time;
  private String me;
  private String peer;
  private String otherPeer;
  private AwsFleetCoordinator fleet;
  private ServiceSpec web;

  @BeforeEach
  void start() {
    aws = LocalAws.builder().start();
    clients = aws.newClients();
    listener = new RecordingAwsCalls();
    time = FakeTime.startingAt("2026-01-01T00:00:00Z");
    me = Ec2Service.newInstanceId();
    peer = Ec2Service.newInstanceId();
    otherPeer = Ec2Service.newInstanceId();
    aws.addInstance(me, Map.of("Name", "web_staging"));
    aws.addInstance(peer, Map.of("Name", "web_staging"));
    aws.addInstance(otherPeer, Map.of("Name", "web_staging"));
    fleet = new AwsFleetCoordinator(clients.elbv2(), clients::ec2, me, listener, time, INTERVAL);
    web =
        service(
            "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef");
  }

  @AfterEach
  void stop() {
    clients.close();
    aws.close();
  }

  private static ServiceSpec service(String arn) {
    return new ServiceSpec(
        "web_staging",
        new DesiredSource.Ssm("/driftguard/web_staging/image"),
        Set.of(Specs.REGISTRY),
        Specs.container(),
        Specs.dockerHealth(),
        new TrafficSpec(
            TargetGroupArn.parse(arn), 80, null, Duration.ofSeconds(5), Duration.ofSeconds(5)),
        RolloutSpec.stopFirst());
  }

  private PublishedState state(Digest running, String phase, String outcome, Digest failed) {
    return new PublishedState(running, phase, outcome, failed, time.instant().toString());
  }

  private Map<String, String> myDriftguardTags() {
    Map<String, String> tags = new java.util.TreeMap<>(aws.ec2().tags(me));
    tags.keySet().removeIf(k -> !k.startsWith("driftguard:"));
    return tags;
  }

  /** Twenty agents on instances of their own, each told its fleet has 2,000 hosts. */
  private List<AwsFleetCoordinator> twentyHostsOfAFleetOf2000() {
    List<AwsFleetCoordinator> hosts = new java.util.ArrayList<>();
    for (int i = 0; i < 20; i++) {
      String id = Ec2Service.newInstanceId();
      aws.addInstance(id, Map.of());
      AwsFleetCoordinator host =
          new AwsFleetCoordinator(clients.elbv2(), clients::ec2, id, listener, time, INTERVAL);
      host.fleetSize(2000);
      hosts.add(host);
    }
    return hosts;
  }

  private int createTagsCalls() {
    return aws.calls("ec2", "CreateTags");
  }

  // ---- targets ---------------------------------------------------------------------------------

  @Test
  void targets_listsEveryTargetOfTheGroupWithItsElbv2State() throws Exception {
    HttpServer app =
        HttpServer.create(
            new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0), 8);
    app.createContext(
        "/",
        x -> {
          try (x) {
            x.sendResponseHeaders(200, -1);
          }
        });
    app.start();
    try {
      int port = app.getAddress().getPort();
      String arn =
          aws.createTargetGroup(
              "web", "/healthz", 2, 2, Duration.ofMillis(50), Duration.ofSeconds(30));
      ServiceSpec service = service(arn);
      TargetGroup group = aws.targetGroup(arn);
      group.register(new TargetGroup.Target(me, port));
      group.register(new TargetGroup.Target(peer, port));
      group.register(new TargetGroup.Target(otherPeer, port));
      assertThat(
              group.awaitState(
                  new TargetGroup.Target(peer, port), TargetGroup.HEALTHY, Duration.ofSeconds(5)))
          .isTrue();
      assertThat(
              group.awaitState(
                  new TargetGroup.Target(me, port), TargetGroup.HEALTHY, Duration.ofSeconds(5)))
          .isTrue();
      group.deregister(new TargetGroup.Target(otherPeer, port));

      List<PeerTarget> targets = fleet.targets(service);

      assertThat(targets)
          .containsExactlyInAnyOrder(
              new PeerTarget(me, port, TargetState.HEALTHY),
              new PeerTarget(peer, port, TargetState.HEALTHY),
              new PeerTarget(otherPeer, port, TargetState.DRAINING));
      assertThat(listener.events()).containsExactly("ok elbv2:DescribeTargetHealth");
    } finally {
      app.stop(0);
    }
  }

  @Test
  void targets_withoutTraffic_isEmptyWithoutACall() {
    assertThat(fleet.targets(Specs.web())).isEmpty();
    assertThat(listener.events()).isEmpty();
  }

  @Test
  void targets_unknownGroup_failsWithContext() {
    assertThatThrownBy(() -> fleet.targets(web))
        .isInstanceOf(FleetCoordinationException.class)
        .hasMessageContaining(
            "ELBv2 DescribeTargetHealth failed for target group " + web.traffic().targetGroupArn())
        .hasMessageContaining("TargetGroupNotFound");
  }

  // ---- circuit breaker
  // ---------------------------------------------------------------------------

  @Test
  void rolledBackBy_namesThePeerThatPublishedTheDigestAsFailed() {
    aws.ec2().putTags(otherPeer, Map.of("driftguard:web_staging:failed", V2.value()));
    aws.ec2().putTags(peer, Map.of("driftguard:web_staging:failed", V2.value()));

    assertThat(fleet.rolledBackBy(web, V2))
        .hasValue(List.of(peer, otherPeer).stream().sorted().findFirst().get());
    assertThat(fleet.rolledBackBy(web, V1)).isEmpty();
    assertThat(listener.events()).containsOnly("ok ec2:DescribeTags");
  }

  @Test
  void rolledBackBy_ignoresThisHost_andOtherServices() {
    aws.ec2().putTags(me, Map.of("driftguard:web_staging:failed", V2.value()));
    aws.ec2().putTags(peer, Map.of("driftguard:worker:failed", V2.value()));

    assertThat(fleet.rolledBackBy(web, V2)).isEmpty();
  }

  @Test
  void rolledBackBy_whenEc2Fails_throwsRatherThanSayingNo() {
    aws.failNext(
        "ec2",
        "DescribeTags",
        1,
        AwsFault.badRequest(
            "UnauthorizedOperation", "You are not authorized to perform this operation."));

    assertThatThrownBy(() -> fleet.rolledBackBy(web, V2))
        .isInstanceOf(FleetCoordinationException.class)
        .hasMessageContaining(
            "EC2 DescribeTags failed for tag driftguard:web_staging:failed: UnauthorizedOperation");
    assertThat(listener.events()).containsExactly("error ec2:DescribeTags:UnauthorizedOperation");
  }

  // ---- publish
  // -----------------------------------------------------------------------------------

  @Test
  void publish_first_writesAllFiveTagsOnThisInstanceOnly() {
    fleet.publish(web, state(V1, "idle", "success", null));

    assertThat(myDriftguardTags())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "driftguard:web_staging:running", V1.value(),
                "driftguard:web_staging:phase", "idle",
                "driftguard:web_staging:outcome", "success",
                "driftguard:web_staging:failed", "",
                "driftguard:web_staging:updated", "2026-01-01T00:00:00Z"));
    assertThat(aws.ec2().tags(peer)).containsOnlyKeys("Name");
    assertThat(listener.events()).containsExactly("ok ec2:CreateTags");
  }

  @Test
  void publish_sendsOnlyWhatChanged_andNothingWhenOnlyTheTimeMoved() {
    fleet.publish(web, state(V1, "idle", "success", null));
    time.advance(INTERVAL);
    fleet.publish(web, state(V1, "idle", "success", null));
    assertThat(createTagsCalls()).isEqualTo(1);

    fleet.publish(web, state(V1, "pull", "success", null));

    assertThat(createTagsCalls()).isEqualTo(2);
    String body = aws.requestBodies("ec2", "CreateTags").get(1);
    assertThat(body)
        .contains("phase")
        .contains("updated")
        .doesNotContain("running")
        .doesNotContain("outcome");
    assertThat(myDriftguardTags())
        .containsEntry("driftguard:web_staging:phase", "pull")
        .containsEntry("driftguard:web_staging:updated", "2026-01-01T00:00:05Z");
  }

  @Test
  void publish_tooSoon_isCoalesced_andTheNewestGoesOutAfterTheInterval() {
    fleet.publish(web, state(V1, "idle", "success", null));
    time.advance(Duration.ofSeconds(1));
    fleet.publish(web, state(V1, "pull", "success", null));
    time.advance(Duration.ofSeconds(1));
    fleet.publish(web, state(V1, "deregister", "success", null));
    assertThat(createTagsCalls()).isEqualTo(1);
    assertThat(fleet.publishPending(web)).isTrue();

    time.advance(Duration.ofSeconds(2));
    fleet.flush();
    assertThat(createTagsCalls()).as("still within the interval").isEqualTo(1);

    time.advance(Duration.ofSeconds(1));
    fleet.flush();

    assertThat(createTagsCalls()).isEqualTo(2);
    assertThat(fleet.publishPending(web)).isFalse();
    assertThat(myDriftguardTags())
        .containsEntry("driftguard:web_staging:phase", "deregister")
        .containsEntry("driftguard:web_staging:updated", "2026-01-01T00:00:02Z");
  }

  @Test
  void publish_aNewFailedDigest_goesOutAtOnce_despiteTheInterval() {
    fleet.publish(web, state(V1, "health", "success", null));
    time.advance(Duration.ofSeconds(1));

    fleet.publish(web, state(V1, "idle", "rolled_back", V2));

    assertThat(createTagsCalls()).isEqualTo(2);
    assertThat(myDriftguardTags())
        .containsEntry("driftguard:web_staging:failed", V2.value())
        .containsEntry("driftguard:web_staging:phase", "idle");
  }

  @Test
  void publish_aFailedDigestAPeerPublishedFirst_waitsItsInterval_likeAnySettledState() {
    aws.ec2().putTags(peer, Map.of("driftguard:web_staging:failed", V2.value()));
    fleet.publish(web, state(V1, "health", "success", null));
    assertThat(fleet.rolledBackBy(web, V2)).contains(peer);
    time.advance(Duration.ofSeconds(1));

    fleet.publish(web, state(V1, "idle", "failed", V2)); // refused here: no news to peers

    assertThat(createTagsCalls()).isEqualTo(1);
    time.advance(AwsFleetCoordinator.DEFAULT_PUBLISH_INTERVAL);
    fleet.flush();
    assertThat(createTagsCalls()).isEqualTo(2);
    assertThat(myDriftguardTags()).containsEntry("driftguard:web_staging:failed", V2.value());
  }

  @Test
  void publish_aFailedDigestNoPeerPublished_stillGoesOutAtOnce_afterAnotherWasLearned() {
    aws.ec2().putTags(peer, Map.of("driftguard:web_staging:failed", V2.value()));
    fleet.publish(web, state(V1, "health", "success", null));
    assertThat(fleet.rolledBackBy(web, V2)).contains(peer);
    time.advance(Duration.ofSeconds(1));

    fleet.publish(web, state(V1, "idle", "rolled_back", V3)); // rolled back here: news

    assertThat(createTagsCalls()).isEqualTo(2);
  }

  @Test
  void publish_error_isSwallowed_remembered_andRetriedAfterTheInterval() {
    aws.failNext(
        "ec2",
        "CreateTags",
        1,
        AwsFault.badRequest(
            "UnauthorizedOperation", "You are not authorized to perform this operation."));

    fleet.publish(web, state(V2, "idle", "rolled_back", V2));

    assertThat(myDriftguardTags()).isEmpty();
    assertThat(fleet.publishPending(web)).isTrue();
    assertThat(listener.events()).containsExactly("error ec2:CreateTags:UnauthorizedOperation");

    time.advance(INTERVAL);
    fleet.flush();

    assertThat(myDriftguardTags())
        .containsEntry("driftguard:web_staging:outcome", "rolled_back")
        .containsEntry("driftguard:web_staging:failed", V2.value());
    assertThat(fleet.publishPending(web)).isFalse();
  }

  @Test
  void publish_inALargeFleet_holdsMidDeployStates_butSendsTheSettledEndAtOnce() {
    fleet.fleetSize(2000); // 2,000 hosts at 2 writes a second fleet-wide: 1,000 s
    fleet.publish(web, state(V1, "idle", "success", null));
    time.advance(Duration.ofMinutes(30));
    fleet.flush(); // the first state after start, sent within its share of the interval

    fleet.publish(web, state(V1, "pull", "success", null));
    time.advance(Duration.ofSeconds(20));
    fleet.publish(web, state(V1, "deregister", "success", null));
    fleet.flush();
    assertThat(createTagsCalls()).isEqualTo(1);
    assertThat(myDriftguardTags()).containsEntry("driftguard:web_staging:phase", "idle");

    time.advance(Duration.ofSeconds(40));
    fleet.publish(web, state(V2, "idle", "success", null));

    assertThat(createTagsCalls()).isEqualTo(2);
    assertThat(myDriftguardTags())
        .containsEntry("driftguard:web_staging:running", V2.value())
        .containsEntry("driftguard:web_staging:phase", "idle");
  }

  @Test
  void publish_inALargeFleet_showsADeployThatHangs_onceItWaitedTheFleetInterval() {
    fleet.fleetSize(2000);
    fleet.publish(web, state(V1, "idle", "success", null));
    time.advance(Duration.ofMinutes(30));
    fleet.flush();

    fleet.publish(web, state(V1, "gate", "success", null));
    time.advance(Duration.ofSeconds(999));
    fleet.flush();
    assertThat(myDriftguardTags()).containsEntry("driftguard:web_staging:phase", "idle");

    time.advance(Duration.ofSeconds(1));
    fleet.flush();
    assertThat(myDriftguardTags()).containsEntry("driftguard:web_staging:phase", "gate");
  }

  @Test
  void publish_inALargeFleet_spreadsTheFirstStatesAfterAFleetWideRestart_overTheInterval() {
    List<AwsFleetCoordinator> hosts = twentyHostsOfAFleetOf2000();
    hosts.forEach(host -> host.publish(web, state(V1, "idle", "success", null)));
    int atStart = createTagsCalls();

    time.advance(Duration.ofSeconds(500));
    hosts.forEach(AwsFleetCoordinator::flush);
    int halfway = createTagsCalls();
    time.advance(Duration.ofSeconds(500));
    hosts.forEach(AwsFleetCoordinator::flush);

    assertThat(atStart).isLessThan(5);
    assertThat(halfway).isBetween(1, 19);
    assertThat(createTagsCalls()).isEqualTo(20);
  }

  @Test
  void publish_inALargeFleet_spreadsTheRefusalsOfADigestAPeerRolledBack_overTheInterval() {
    aws.ec2().putTags(peer, Map.of("driftguard:web_staging:failed", V2.value()));
    List<AwsFleetCoordinator> hosts = twentyHostsOfAFleetOf2000();
    for (AwsFleetCoordinator host : hosts) {
      host.publish(web, state(V1, "gate", "success", null));
      host.flush(); // each host's deploy state already went out (or waits its own share)
    }
    time.advance(Duration.ofSeconds(1000));
    hosts.forEach(AwsFleetCoordinator::flush);
    int before = createTagsCalls();

    for (AwsFleetCoordinator host : hosts) {
      assertThat(host.rolledBackBy(web, V2)).contains(peer);
      host.publish(web, state(V1, "idle", "failed", V2)); // refused, all at the same moment
    }
    int atOnce = createTagsCalls() - before;
    time.advance(Duration.ofSeconds(500));
    hosts.forEach(AwsFleetCoordinator::flush);
    int halfway = createTagsCalls() - before;
    time.advance(Duration.ofSeconds(500));
    hosts.forEach(AwsFleetCoordinator::flush);

    assertThat(atOnce).isLessThan(5);
    assertThat(halfway).isBetween(1, 19);
    assertThat(createTagsCalls() - before).isEqualTo(20);
  }

  @Test
  void publish_inALargeFleet_theFirstStateWaitsNoLongerOnceItChanges() {
    fleet.fleetSize(2000);
    fleet.publish(web, state(V1, "idle", "success", null));
    time.advance(Duration.ofSeconds(1));
    fleet.publish(web, state(V1, "idle", "rolled_back", null)); // settled, and news

    assertThat(createTagsCalls()).isEqualTo(1);
    assertThat(myDriftguardTags()).containsEntry("driftguard:web_staging:outcome", "rolled_back");
  }

  @Test
  void publish_inALargeFleet_retriesAFailureAfterADoublingWait() {
    fleet.fleetSize(2000);
    fleet.publish(web, state(V1, "idle", "success", null));
    time.advance(Duration.ofMinutes(30));
    fleet.flush(); // the first state after start, out of the way
    time.advance(INTERVAL);
    int before = createTagsCalls();
    // Not a throttling error: the SDK would retry that within the call.
    aws.failNext(
        "ec2",
        "CreateTags",
        2,
        AwsFault.badRequest("UnauthorizedOperation", "You are not authorized."));

    fleet.publish(web, state(V2, "idle", "success", null)); // fails: retry after 10 s
    time.advance(INTERVAL);
    fleet.flush();
    assertThat(createTagsCalls() - before).isEqualTo(1);
    time.advance(INTERVAL);
    fleet.flush(); // fails again: retry after 20 s
    assertThat(createTagsCalls() - before).isEqualTo(2);
    time.advance(Duration.ofSeconds(19));
    fleet.flush();
    assertThat(createTagsCalls() - before).isEqualTo(2);
    time.advance(Duration.ofSeconds(1));
    fleet.flush();

    assertThat(createTagsCalls() - before).isEqualTo(3);
    assertThat(myDriftguardTags()).containsEntry("driftguard:web_staging:running", V2.value());
  }

  @Test
  void publish_sameErrorAgain_isLoggedOnce_andRecoveryOnce() {
    Logger logger = (Logger) LoggerFactory.getLogger(Ec2TagPublisher.class);
    ListAppender<ILoggingEvent> logged = new ListAppender<>();
    logged.start();
    Level level = logger.getLevel();
    logger.setLevel(Level.INFO);
    logger.addAppender(logged);
    try {
      aws.failNext("ec2", "CreateTags", 2, AwsFault.badRequest("UnauthorizedOperation", "no"));
      fleet.publish(web, state(V1, "pull", "", null));
      time.advance(INTERVAL);
      fleet.publish(web, state(V1, "gate", "", null));
      time.advance(INTERVAL);
      fleet.publish(web, state(V1, "deregister", "", null));

      assertThat(logged.list)
          .extracting(e -> e.getLevel() + " " + e.getFormattedMessage())
          .satisfiesExactly(
              warn -> assertThat(warn).startsWith("WARN [service=web_staging] could not publish"),
              info ->
                  assertThat(info)
                      .startsWith("INFO [service=web_staging] publishing state works again"));
      assertThat(myDriftguardTags()).containsEntry("driftguard:web_staging:phase", "deregister");
    } finally {
      logger.detachAppender(logged);
      logger.setLevel(level);
    }
  }

  @Test
  void publish_clearsAFieldWithTheEmptyString() {
    fleet.publish(web, state(V1, "idle", "rolled_back", V2));
    time.advance(INTERVAL);

    fleet.publish(web, state(V1, "idle", "success", null));

    assertThat(myDriftguardTags()).containsEntry("driftguard:web_staging:failed", "");
  }

  @Test
  void publish_isReadBackByPublishedStateTags() {
    PublishedState published = state(V1, "health", "rolled_back", V2);
    fleet.publish(web, published);

    assertThat(PublishedStateTags.fromTags("web_staging", aws.ec2().tags(me))).hasValue(published);
    assertThat(PublishedStateTags.fromTags("worker", aws.ec2().tags(me))).isEmpty();
  }

  @Test
  void servicesThatFit_sharesTheInstancesFiftyTags() {
    assertThat(PublishedStateTags.servicesThatFit(0)).isEqualTo(10);
    assertThat(PublishedStateTags.servicesThatFit(5)).isEqualTo(9);
    assertThat(PublishedStateTags.servicesThatFit(50)).isZero();
  }
}
