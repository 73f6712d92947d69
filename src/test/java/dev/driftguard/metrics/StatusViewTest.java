package dev.driftguard.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.driftguard.model.ContainerInfo;
import dev.driftguard.model.DeployOutcome;
import dev.driftguard.model.DesiredState;
import dev.driftguard.model.Labels;
import dev.driftguard.model.ObservedService;
import dev.driftguard.model.Phase;
import dev.driftguard.model.RolloutSpec;
import dev.driftguard.model.ServiceSpec;
import dev.driftguard.model.ServiceState;
import dev.driftguard.reconcile.Action;
import dev.driftguard.testing.Specs;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StatusViewTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Instant NOW = Instant.parse("2025-03-01T10:00:00Z");

  private final Map<String, ServiceState> states = new HashMap<>();
  private final StatusView view =
      new StatusView(
          "1.2.3",
          "i-0123456789abcdef0",
          List.of(Specs.web()),
          name -> states.getOrDefault(name, ServiceState.initial(name)));

  @Test
  void beforeAnyPass_everyServiceIsListedWithNulls() throws Exception {
    JsonNode doc = JSON.readTree(view.json(null, null));
    assertThat(doc.path("agent").path("version").asText()).isEqualTo("1.2.3");
    assertThat(doc.path("agent").path("instanceId").asText()).isEqualTo("i-0123456789abcdef0");
    assertThat(doc.path("agent").path("lastTick").isNull()).isTrue();
    assertThat(doc.path("agent").path("lastSuccessfulPoll").isNull()).isTrue();
    JsonNode web = doc.path("services").get(0);
    assertThat(web.path("name").asText()).isEqualTo("web");
    assertThat(web.path("inSync").asBoolean()).isFalse();
    assertThat(web.path("phase").asText()).isEqualTo("idle");
    assertThat(web.path("desired").path("state").asText()).isEqualTo("unavailable");
    assertThat(web.path("running").path("container").asText()).isEqualTo("web");
    assertThat(web.path("running").path("state").asText()).isEqualTo("missing");
    assertThat(web.path("running").path("health").asText()).isEqualTo("none");
    assertThat(web.path("target").isNull()).as("no traffic configured").isTrue();
    assertThat(web.path("lastDeploy").path("outcome").isNull()).isTrue();
    assertThat(web.path("failedDigest").isNull()).isTrue();
    assertThat(web.path("lastError").isNull()).isTrue();
  }

  @Test
  void afterADeploy_showsDesiredRunningAndTheLastDeploy() throws Exception {
    view.desiredRead("web", new DesiredState.Pinned(Specs.image('2'), 7));
    ServiceState deployed =
        ServiceState.initial("web")
            .finished(DeployOutcome.SUCCESS, NOW, Duration.ofMillis(12_300), null);
    states.put("web", deployed);
    view.observed("web", new ObservedService(container('2'), null, null, deployed, 0));
    view.passFinished("web", true, new Action.InSync());

    JsonNode doc = JSON.readTree(view.json(NOW, NOW.minusSeconds(1)));
    assertThat(doc.path("agent").path("lastTick").asText()).isEqualTo("2025-03-01T10:00:00Z");
    JsonNode web = doc.path("services").get(0);
    assertThat(web.path("inSync").asBoolean()).isTrue();
    assertThat(web.path("desired").path("state").asText()).isEqualTo("pinned");
    assertThat(web.path("desired").path("image").asText()).isEqualTo(Specs.image('2').toString());
    assertThat(web.path("desired").path("digest").asText())
        .isEqualTo(Specs.image('2').digest().value());
    assertThat(web.path("running").path("digest").asText())
        .isEqualTo(Specs.image('2').digest().value());
    assertThat(web.path("running").path("container").asText()).isEqualTo("web");
    assertThat(web.path("running").path("state").asText()).isEqualTo("running");
    assertThat(web.path("running").path("health").asText()).isEqualTo("healthy");
    assertThat(web.path("lastDeploy").path("outcome").asText()).isEqualTo("success");
    assertThat(web.path("lastDeploy").path("at").asText()).isEqualTo("2025-03-01T10:00:00Z");
    assertThat(web.path("lastDeploy").path("durationSeconds").asDouble()).isEqualTo(12.3);
  }

  @Test
  void aDeployUnderWay_showsItsLivePhase() throws Exception {
    states.put(
        "web", ServiceState.initial("web").inPhase(Phase.HEALTH, Specs.image('3'), null, NOW));
    JsonNode web = JSON.readTree(view.json(NOW, NOW)).path("services").get(0);
    assertThat(web.path("phase").asText()).isEqualTo("health");
  }

  @Test
  void rejectedRecordAndRollback_showReasonFailedDigestAndError() throws Exception {
    view.desiredRead(
        "web",
        new DesiredState.Rejected(
            DesiredState.RejectReason.TAG_WITHOUT_DIGEST, "'x:v2' is not pinned by digest", "f"));
    states.put(
        "web",
        ServiceState.initial("web")
            .withFailed(Specs.image('4').digest())
            .finished(DeployOutcome.ROLLED_BACK, NOW, Duration.ofSeconds(30), "never healthy"));
    view.passFinished("web", false, new Action.Hold("rejected"));

    JsonNode web = JSON.readTree(view.json(NOW, NOW)).path("services").get(0);
    assertThat(web.path("desired").path("state").asText()).isEqualTo("rejected");
    assertThat(web.path("desired").path("digest").isNull()).isTrue();
    assertThat(web.path("desired").path("detail").asText())
        .isEqualTo("tag_without_digest: 'x:v2' is not pinned by digest");
    assertThat(web.path("failedDigest").asText()).isEqualTo(Specs.image('4').digest().value());
    assertThat(web.path("lastDeploy").path("outcome").asText()).isEqualTo("rolled_back");
    assertThat(web.path("lastError").asText()).isEqualTo("never healthy");
  }

  @Test
  void unavailableRecord_saysWhyAndWhetherThrottled() throws Exception {
    view.desiredRead("web", new DesiredState.Unavailable("SSM GetParameters: Rate exceeded", true));
    JsonNode web = JSON.readTree(view.json(NOW, null)).path("services").get(0);
    assertThat(web.path("desired").path("detail").asText())
        .isEqualTo("SSM GetParameters: Rate exceeded (throttled)");
  }

  @Test
  void serviceBehindALoadBalancer_showsItsPortAndTheLastTargetState() throws Exception {
    StatusView balanced =
        new StatusView(
            "1.2.3",
            null,
            List.of(Specs.webBehindLoadBalancer(RolloutSpec.Strategy.STOP_FIRST)),
            ServiceState::initial);
    JsonNode before = JSON.readTree(balanced.json(null, null)).path("services").get(0);
    assertThat(before.path("target").path("port").asInt()).isEqualTo(18080);
    assertThat(before.path("target").path("state").isNull()).as("not known yet").isTrue();

    balanced.targetState("web", 18080, "draining");
    JsonNode after = JSON.readTree(balanced.json(null, null)).path("services").get(0);
    assertThat(after.path("target").path("state").asText()).isEqualTo("draining");
    assertThat(JSON.readTree(balanced.json(null, null)).path("agent").path("instanceId").isNull())
        .isTrue();
  }

  /**
   * The gauge and the status page give one verdict, the service's own check's: for http and tcp the
   * agent's last probe, whatever the image's HEALTHCHECK says; for docker, Docker's status.
   */
  @Test
  void health_isTheServicesOwnCheck_onTheStatusPageAndTheGauge() throws Exception {
    record Case(
        ServiceSpec spec, ContainerInfo.Health docker, int failedProbes, String shown, int gauge) {}
    ServiceSpec http = Specs.webBehindLoadBalancer(RolloutSpec.Strategy.STOP_FIRST);
    ServiceSpec docker = Specs.web();
    List<Case> cases =
        List.of(
            new Case(http, ContainerInfo.Health.UNHEALTHY, 0, "healthy", 1),
            new Case(http, ContainerInfo.Health.STARTING, 0, "healthy", 1),
            new Case(http, ContainerInfo.Health.HEALTHY, 1, "unhealthy", 0),
            new Case(docker, ContainerInfo.Health.UNHEALTHY, 0, "unhealthy", 0),
            new Case(docker, ContainerInfo.Health.STARTING, 0, "starting", 0),
            new Case(docker, ContainerInfo.Health.HEALTHY, 2, "healthy", 1),
            new Case(docker, ContainerInfo.Health.NONE, 0, "none", 1));
    for (Case c : cases) {
      StatusView page = new StatusView("1.2.3", null, List.of(c.spec()), ServiceState::initial);
      try (AgentMetrics metrics = new AgentMetrics(List.of())) {
        metrics.addServices(List.of(c.spec()));
        ObservedService observed =
            new ObservedService(
                container('1', c.docker()),
                null,
                null,
                ServiceState.initial("web"),
                c.failedProbes());
        page.observed("web", observed);
        metrics.observed("web", observed);

        JsonNode web = JSON.readTree(page.json(null, null)).path("services").get(0);
        assertThat(web.path("running").path("health").asText()).as("%s", c).isEqualTo(c.shown());
        assertThat(metrics.scrape())
            .as("%s", c)
            .contains("driftguard_container_healthy{service=\"web\"} " + c.gauge() + ".0");
      }
    }
  }

  @Test
  void everyDocumentedFieldIsPresent() throws Exception {
    JsonNode web = JSON.readTree(view.json(null, null)).path("services").get(0);
    assertThat(web.fieldNames())
        .toIterable()
        .containsExactly(
            "name",
            "inSync",
            "phase",
            "desired",
            "running",
            "target",
            "lastDeploy",
            "failedDigest",
            "lastError");
    assertThat(web.path("desired").fieldNames())
        .toIterable()
        .containsExactly("state", "image", "digest", "detail");
    assertThat(web.path("running").fieldNames())
        .toIterable()
        .containsExactly("container", "digest", "state", "health");
    assertThat(web.path("lastDeploy").fieldNames())
        .toIterable()
        .containsExactly("outcome", "at", "durationSeconds");
  }

  private static ContainerInfo container(char digest) {
    return container(digest, ContainerInfo.Health.HEALTHY);
  }

  private static ContainerInfo container(char digest, ContainerInfo.Health health) {
    return new ContainerInfo(
        "id",
        "/web",
        "sha256:" + "e".repeat(64),
        Map.of(Labels.SERVICE, "web", Labels.DIGEST, Specs.image(digest).digest().value()),
        ContainerInfo.State.RUNNING,
        health,
        0,
        0,
        NOW);
  }
}
