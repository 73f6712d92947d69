package dev.driftguard.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftguard.model.ContainerInfo;
import dev.driftguard.model.DeployOutcome;
import dev.driftguard.model.DesiredState;
import dev.driftguard.model.DriftReason;
import dev.driftguard.model.Labels;
import dev.driftguard.model.ObservedService;
import dev.driftguard.model.Phase;
import dev.driftguard.model.RolloutSpec;
import dev.driftguard.model.ServiceState;
import dev.driftguard.reconcile.Action;
import dev.driftguard.testing.Specs;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AgentMetricsTest {
  private final AgentMetrics metrics = new AgentMetrics(List.of("web"));

  @AfterEach
  void close() {
    metrics.close();
  }

  @Test
  void knownLabelValues_areExposedAtZeroBeforeAnyEvent() {
    String scrape = metrics.scrape();
    for (DeployOutcome outcome : DeployOutcome.values()) {
      assertThat(scrape)
          .contains(
              "driftguard_deploys_total{outcome=\"" + outcome.label() + "\",service=\"web\"} 0.0");
    }
    for (DriftReason reason : DriftReason.values()) {
      assertThat(scrape)
          .contains(
              "driftguard_drift_detected_total{reason=\"" + reason.label() + "\",service=\"web\"}");
    }
    for (DesiredState.RejectReason reason : DesiredState.RejectReason.values()) {
      assertThat(scrape)
          .contains("driftguard_desired_state_rejected_total{reason=\"" + reason.label() + "\"");
    }
    assertThat(scrape)
        .contains("driftguard_in_sync{service=\"web\"} 0.0")
        .contains("driftguard_reconcile_passes_total{service=\"web\"} 0.0")
        .contains("driftguard_reconcile_errors_total{service=\"web\"} 0.0")
        .contains("driftguard_docker_errors_total{operation=\"pull\"} 0.0")
        .contains(
            "driftguard_aws_api_errors_total{aws_service=\"ssm\",code=\"ThrottlingException\","
                + "operation=\"GetParameters\"} 0.0")
        .contains("driftguard_deploy_duration_seconds_count{service=\"web\"} 0")
        .contains("driftguard_last_successful_poll_timestamp_seconds 0.0")
        .contains("driftguard_ecr_token_expiry_timestamp_seconds NaN")
        .doesNotContain("driftguard_target_registered");
  }

  @Test
  void everyMeterHasHelpText() {
    List<String> families =
        Arrays.stream(metrics.scrape().split("\n"))
            .filter(l -> l.startsWith("# TYPE driftguard_"))
            .map(l -> l.split(" ")[2])
            .toList();
    Set<String> helped =
        Arrays.stream(metrics.scrape().split("\n"))
            .filter(l -> l.startsWith("# HELP driftguard_") && l.split(" ", 4).length == 4)
            .map(l -> l.split(" ")[2])
            .collect(Collectors.toSet());
    assertThat(families).isNotEmpty();
    assertThat(helped).containsAll(families);
  }

  @Test
  void jvmAndProcessMetrics_areBound() {
    assertThat(metrics.scrape())
        .contains("jvm_memory_used_bytes")
        .contains("jvm_gc_")
        .contains("jvm_threads_live_threads")
        .contains("jvm_classes_loaded_classes")
        .contains("process_cpu_usage")
        .contains("process_uptime_seconds");
  }

  @Test
  void processMetrics_haveThePrometheusStandardNames() {
    String scrape = metrics.scrape();

    assertThat(value(scrape, "process_resident_memory_bytes")).isGreaterThan(1024 * 1024);
    assertThat(value(scrape, "process_virtual_memory_bytes"))
        .isGreaterThan(value(scrape, "process_resident_memory_bytes"));
    assertThat(value(scrape, "process_cpu_seconds_total")).isGreaterThan(0);
    assertThat(value(scrape, "process_open_fds")).isGreaterThan(2);
    assertThat(value(scrape, "process_max_fds"))
        .isGreaterThanOrEqualTo(value(scrape, "process_open_fds"));
    assertThat(value(scrape, "process_start_time_seconds")).isGreaterThan(1.7e9);
    assertThat(scrape).contains("# TYPE process_cpu_seconds_total counter");
    assertThat(scrape)
        .as("replaced by process_open_fds")
        .doesNotContain("process_files_open_files");
  }

  @Test
  void buildInfo_namesVersionCommitAndJava() {
    metrics.showBuild(new BuildInfo("0.1.0", "5a6e7d9f0f68", "17.0.15+6-Debian-1deb12u1"));

    assertThat(metrics.scrape())
        .contains(
            "driftguard_build_info{commit=\"5a6e7d9f0f68\",java_version=\"17.0.15+6-Debian-1deb12u1\","
                + "version=\"0.1.0\"} 1");
  }

  @Test
  void buildInfo_current_readsThisJvm() {
    BuildInfo build = BuildInfo.current("development build");

    assertThat(build.javaVersion()).isEqualTo(Runtime.version().toString());
    assertThat(build.commit()).isNotBlank();
  }

  @Test
  void waitingForTurn_isOneWhileTheServiceIsAtTheGate() {
    Phase[] phase = {Phase.IDLE};
    metrics.trackPhases(service -> phase[0]);
    assertThat(metrics.scrape()).contains("driftguard_waiting_for_turn{service=\"web\"} 0.0");

    phase[0] = Phase.GATE;
    assertThat(metrics.scrape()).contains("driftguard_waiting_for_turn{service=\"web\"} 1.0");

    phase[0] = Phase.DEREGISTER;
    assertThat(metrics.scrape()).contains("driftguard_waiting_for_turn{service=\"web\"} 0.0");
  }

  @Test
  void waitingForTurn_whenThePhaseCannotBeRead_isZero() {
    metrics.trackPhases(
        service -> {
          throw new IllegalStateException("state file unreadable");
        });

    assertThat(metrics.scrape()).contains("driftguard_waiting_for_turn{service=\"web\"} 0.0");
  }

  private static double value(String scrape, String name) {
    return scrape
        .lines()
        .filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
        .map(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .findFirst()
        .orElseThrow(() -> new AssertionError(name + " not in the scrape"));
  }

  @Test
  void successfulDeploy_countsOutcomeAndRecordsDurations() {
    metrics.driftDetected("web", DriftReason.DIGEST);
    metrics.imagePulled("web", Duration.ofSeconds(3));
    metrics.phaseFinished("web", Phase.PULL, Duration.ofSeconds(3));
    metrics.outOfService("web", Duration.ofSeconds(4));
    metrics.deployFinished("web", DeployOutcome.SUCCESS, Duration.ofSeconds(12));

    assertThat(value("driftguard_deploys_total{outcome=\"success\",service=\"web\"}")).isEqualTo(1);
    assertThat(value("driftguard_deploys_total{outcome=\"rolled_back\",service=\"web\"}")).isZero();
    assertThat(value("driftguard_drift_detected_total{reason=\"digest\",service=\"web\"}"))
        .isEqualTo(1);
    assertThat(value("driftguard_deploy_duration_seconds_sum{service=\"web\"}")).isEqualTo(12);
    assertThat(value("driftguard_deploy_duration_seconds_bucket{service=\"web\",le=\"10.0\"}"))
        .isZero();
    assertThat(value("driftguard_deploy_duration_seconds_bucket{service=\"web\",le=\"20.0\"}"))
        .isEqualTo(1);
    assertThat(value("driftguard_image_pull_duration_seconds_sum{service=\"web\"}")).isEqualTo(3);
    assertThat(value("driftguard_out_of_service_seconds_sum{service=\"web\"}")).isEqualTo(4);
    assertThat(value("driftguard_phase_duration_seconds_count{phase=\"pull\",service=\"web\"}"))
        .isEqualTo(1);
  }

  @Test
  void rollbackAndFailure_areCountedByOutcome() {
    metrics.deployFinished("web", DeployOutcome.ROLLED_BACK, Duration.ofSeconds(40));
    metrics.deployFinished("web", DeployOutcome.FAILED, Duration.ofSeconds(2));
    metrics.deployFinished("web", DeployOutcome.ROLLED_BACK, Duration.ofSeconds(40));

    assertThat(value("driftguard_deploys_total{outcome=\"rolled_back\",service=\"web\"}"))
        .isEqualTo(2);
    assertThat(value("driftguard_deploys_total{outcome=\"failed\",service=\"web\"}")).isEqualTo(1);
    assertThat(value("driftguard_deploy_duration_seconds_count{service=\"web\"}")).isEqualTo(3);
  }

  @Test
  void rejectedRecord_isCountedByReason_andClearsTheDesiredDigest() {
    metrics.desiredRead("web", new DesiredState.Pinned(Specs.image('1'), 3));
    DesiredState.Rejected rejected =
        new DesiredState.Rejected(DesiredState.RejectReason.TAG_WITHOUT_DIGEST, "not pinned", "ab");
    metrics.desiredRead("web", rejected);
    metrics.desiredRejected("web", rejected);

    assertThat(
            value(
                "driftguard_desired_state_rejected_total{reason=\"tag_without_digest\","
                    + "service=\"web\"}"))
        .isEqualTo(1);
    assertThat(metrics.scrape()).doesNotContain("driftguard_desired_image_info{");
  }

  @Test
  void desiredImageInfo_switchesSeriesWhenTheDigestChanges() {
    String one = Specs.image('1').digest().value();
    String two = Specs.image('2').digest().value();
    metrics.desiredRead("web", new DesiredState.Pinned(Specs.image('1'), 1));
    assertThat(value("driftguard_desired_image_info{digest=\"" + one + "\",service=\"web\"}"))
        .isEqualTo(1);

    metrics.desiredRead("web", new DesiredState.Pinned(Specs.image('2'), 2));
    assertThat(metrics.scrape()).doesNotContain(one);
    assertThat(value("driftguard_desired_image_info{digest=\"" + two + "\",service=\"web\"}"))
        .isEqualTo(1);

    metrics.desiredRead("web", new DesiredState.Unavailable("SSM down", false));
    assertThat(metrics.scrape()).as("an unreadable record keeps the last digest").contains(two);
  }

  @Test
  void runningImageInfoAndHealth_followTheObservedContainer() {
    metrics.observed("web", observed(container('1', ContainerInfo.State.RUNNING, healthy()), 0));
    String one = Specs.image('1').digest().value();
    assertThat(value("driftguard_running_image_info{digest=\"" + one + "\",service=\"web\"}"))
        .isEqualTo(1);
    assertThat(value("driftguard_container_healthy{service=\"web\"}")).isEqualTo(1);

    metrics.observed("web", observed(container('2', ContainerInfo.State.RUNNING, unhealthy()), 0));
    assertThat(metrics.scrape()).doesNotContain(one);
    assertThat(value("driftguard_container_healthy{service=\"web\"}")).isZero();

    metrics.observed("web", observed(container('2', ContainerInfo.State.RUNNING, starting()), 0));
    assertThat(value("driftguard_container_healthy{service=\"web\"}")).isZero();

    metrics.observed("web", observed(null, 0));
    assertThat(metrics.scrape()).doesNotContain("driftguard_running_image_info{");
    assertThat(value("driftguard_container_healthy{service=\"web\"}")).isZero();
  }

  /** An http or tcp service is judged by the agent's probe, as its drift is, not by Docker's. */
  @Test
  void containerHealthy_ofAnHttpService_followsTheProbeNotDockersHealthcheck() {
    metrics.addServices(List.of(Specs.webBehindLoadBalancer(RolloutSpec.Strategy.STOP_FIRST)));

    metrics.observed("web", observed(container('1', ContainerInfo.State.RUNNING, unhealthy()), 0));
    assertThat(value("driftguard_container_healthy{service=\"web\"}"))
        .as("the probe passes; the image's own HEALTHCHECK decides nothing")
        .isEqualTo(1);

    metrics.observed("web", observed(container('1', ContainerInfo.State.RUNNING, healthy()), 1));
    assertThat(value("driftguard_container_healthy{service=\"web\"}"))
        .as("the agent's last probe failed")
        .isZero();

    metrics.observed("web", observed(container('1', ContainerInfo.State.EXITED, healthy()), 0));
    assertThat(value("driftguard_container_healthy{service=\"web\"}")).isZero();
  }

  @Test
  void containerHealthy_ofADockerService_ignoresProbeCounts() {
    metrics.addServices(List.of(Specs.web()));

    metrics.observed("web", observed(container('1', ContainerInfo.State.RUNNING, none()), 3));
    assertThat(value("driftguard_container_healthy{service=\"web\"}"))
        .as("no HEALTHCHECK and no probe: running is healthy")
        .isEqualTo(1);
  }

  @Test
  void passes_setInSyncAndCountErrors() {
    metrics.passFinished("web", true, new Action.InSync());
    assertThat(value("driftguard_in_sync{service=\"web\"}")).isEqualTo(1);
    metrics.passFailed("web", new IllegalStateException("engine gone"));
    assertThat(value("driftguard_in_sync{service=\"web\"}")).isZero();
    assertThat(value("driftguard_reconcile_passes_total{service=\"web\"}")).isEqualTo(2);
    assertThat(value("driftguard_reconcile_errors_total{service=\"web\"}")).isEqualTo(1);
  }

  @Test
  void awsError_isCountedByServiceOperationAndCode() {
    metrics.onSuccess("ssm", "GetParameters");
    metrics.onError("ssm", "GetParameters", "ThrottlingException");
    metrics.onError("ecr", "GetAuthorizationToken", "AccessDeniedException");

    assertThat(
            value(
                "driftguard_aws_api_errors_total{aws_service=\"ssm\","
                    + "code=\"ThrottlingException\",operation=\"GetParameters\"}"))
        .isEqualTo(1);
    assertThat(
            value(
                "driftguard_aws_api_errors_total{aws_service=\"ecr\","
                    + "code=\"AccessDeniedException\",operation=\"GetAuthorizationToken\"}"))
        .isEqualTo(1);
    assertThat(
            value(
                "driftguard_aws_api_calls_total{aws_service=\"ssm\",operation=\"GetParameters\"}"))
        .isEqualTo(2);
  }

  @Test
  void dockerError_isCountedByOperation() {
    metrics.dockerError("start");
    assertThat(value("driftguard_docker_errors_total{operation=\"start\"}")).isEqualTo(1);
  }

  @Test
  void targetRegistered_appearsWithTheFirstTargetState() {
    metrics.targetState("web", 80, "healthy");
    assertThat(value("driftguard_target_registered{service=\"web\"}")).isEqualTo(1);
    metrics.targetState("web", 80, "draining");
    assertThat(value("driftguard_target_registered{service=\"web\"}")).isZero();
  }

  @Test
  void timestamps_comeFromTheirSources() {
    metrics.trackLastSuccessfulPoll(() -> Instant.parse("2025-01-02T03:04:05Z"));
    metrics.trackEcrTokenExpiry(() -> Optional.of(Instant.parse("2025-01-02T15:04:05Z")));
    assertThat(value("driftguard_last_successful_poll_timestamp_seconds")).isEqualTo(1735787045);
    assertThat(value("driftguard_ecr_token_expiry_timestamp_seconds")).isEqualTo(1735830245);
  }

  @Test
  void unknownService_getsItsSeriesOnFirstEvent() {
    metrics.deployFinished("worker", DeployOutcome.SUCCESS, Duration.ofSeconds(1));
    assertThat(value("driftguard_deploys_total{outcome=\"success\",service=\"worker\"}"))
        .isEqualTo(1);
  }

  // --- helpers

  /** The value of the one sample whose name and labels are exactly {@code series}. */
  private double value(String series) {
    Map<String, String> samples =
        Arrays.stream(metrics.scrape().split("\n"))
            .filter(l -> !l.startsWith("#") && !l.isBlank())
            .collect(
                Collectors.toMap(
                    l -> l.substring(0, l.lastIndexOf(' ')),
                    l -> l.substring(l.lastIndexOf(' ') + 1)));
    assertThat(samples).as(metrics.scrape()).containsKey(series);
    return Double.parseDouble(samples.get(series));
  }

  private static ObservedService observed(ContainerInfo current, int failedProbes) {
    return new ObservedService(current, null, null, ServiceState.initial("web"), failedProbes);
  }

  private static ContainerInfo container(
      char digest, ContainerInfo.State state, ContainerInfo.Health health) {
    return new ContainerInfo(
        "id" + digest,
        "/web",
        "sha256:" + "f".repeat(64),
        Map.of(Labels.SERVICE, "web", Labels.DIGEST, Specs.image(digest).digest().value()),
        state,
        health,
        0,
        0,
        Instant.EPOCH);
  }

  private static ContainerInfo.Health healthy() {
    return ContainerInfo.Health.HEALTHY;
  }

  private static ContainerInfo.Health unhealthy() {
    return ContainerInfo.Health.UNHEALTHY;
  }

  private static ContainerInfo.Health starting() {
    return ContainerInfo.Health.STARTING;
  }

  private static ContainerInfo.Health none() {
    return ContainerInfo.Health.NONE;
  }
}
