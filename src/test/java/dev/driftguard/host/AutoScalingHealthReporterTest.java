package dev.driftguard.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftguard.cli.AwsClients;
import dev.driftguard.testing.RecordingAwsCalls;
import dev.driftguard.testing.aws.AwsFault;
import dev.driftguard.testing.aws.Ec2Service;
import dev.driftguard.testing.aws.LocalAws;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Through the real Auto Scaling client against {@link LocalAws}. */
class AutoScalingHealthReporterTest {
  private final String instanceId = Ec2Service.newInstanceId();
  private final RecordingAwsCalls calls = new RecordingAwsCalls();
  private LocalAws aws;
  private AwsClients clients;

  @BeforeEach
  void start() {
    aws = LocalAws.builder().start();
    clients = aws.newClients();
    aws.addInstance(instanceId, Map.of("Name", "web_staging"));
    aws.autoscaling().createGroup("web-staging", Duration.ofMinutes(5));
  }

  @AfterEach
  void stop() {
    clients.close();
    aws.close();
  }

  private AutoScalingHealthReporter reporter() {
    return new AutoScalingHealthReporter(clients.autoscaling(), instanceId, calls);
  }

  @Test
  void reportUnhealthy_marksThisInstanceUnhealthyInItsGroup() {
    aws.autoscaling()
        .attachInstance("web-staging", instanceId, Instant.now().minus(Duration.ofMinutes(10)));

    reporter().reportUnhealthy();

    assertThat(aws.autoscaling().health(instanceId)).isEqualTo("Unhealthy");
    assertThat(calls.events()).containsExactly("ok autoscaling:SetInstanceHealth");
    assertThat(aws.requestBodies("autoscaling", "SetInstanceHealth"))
        .singleElement()
        .asString()
        .contains("InstanceId=" + instanceId)
        .contains("HealthStatus=Unhealthy")
        .contains("ShouldRespectGracePeriod=true");
  }

  @Test
  void reportUnhealthy_withinTheGracePeriod_failsForNow_andChangesNothing() {
    aws.autoscaling().attachInstance("web-staging", instanceId);

    assertThatThrownBy(() -> reporter().reportUnhealthy())
        .isInstanceOfSatisfying(
            HostHealthReportException.class,
            e -> {
              assertThat(e.permanent()).isFalse();
              assertThat(e.throttled()).isFalse();
              assertThat(e.code()).isEqualTo("ValidationError");
            })
        .hasMessageContaining(instanceId)
        .hasMessageContaining("less than the configured grace period of 300 seconds");
    assertThat(aws.autoscaling().health(instanceId)).isEqualTo("Healthy");
    assertThat(calls.events())
        .containsExactly("error autoscaling:SetInstanceHealth:ValidationError");
  }

  @Test
  void reportUnhealthy_instanceInNoGroup_isPermanent() {
    assertThatThrownBy(() -> reporter().reportUnhealthy())
        .isInstanceOfSatisfying(
            HostHealthReportException.class, e -> assertThat(e.permanent()).isTrue())
        .hasMessageContaining("No managed instance found for instance ID: " + instanceId)
        .hasMessageContaining("in no Auto Scaling group");
  }

  @Test
  void reportUnhealthy_throttledBeyondTheSdksRetries_isThrottledAndMayPass() {
    aws.autoscaling()
        .attachInstance("web-staging", instanceId, Instant.now().minus(Duration.ofMinutes(10)));
    aws.failNext(
        "autoscaling", "SetInstanceHealth", 3, AwsFault.badRequest("Throttling", "Rate exceeded"));

    assertThatThrownBy(() -> reporter().reportUnhealthy())
        .isInstanceOfSatisfying(
            HostHealthReportException.class,
            e -> {
              assertThat(e.throttled()).isTrue();
              assertThat(e.permanent()).isFalse();
            })
        .hasMessageContaining("Throttling");
    assertThat(aws.calls("autoscaling", "SetInstanceHealth")).isEqualTo(3);

    reporter().reportUnhealthy();
    assertThat(aws.autoscaling().health(instanceId)).isEqualTo("Unhealthy");
  }

  @Test
  void reportUnhealthy_accessDenied_saysWhichPermission() {
    aws.failNext(
        "autoscaling",
        "SetInstanceHealth",
        1,
        AwsFault.badRequest(
            "AccessDenied",
            "User: arn:aws:sts::123456789012:assumed-role/driftguard/"
                + instanceId
                + " is not authorized to perform: autoscaling:SetInstanceHealth"));

    assertThatThrownBy(() -> reporter().reportUnhealthy())
        .isInstanceOfSatisfying(
            HostHealthReportException.class, e -> assertThat(e.permanent()).isFalse())
        .hasMessageContaining("AccessDenied")
        .hasMessageContaining("needs autoscaling:SetInstanceHealth on its group");
  }

  @Test
  void selfReport_overTheRealClient_reportsOnceTheHostServedNothingLongEnough() {
    aws.autoscaling()
        .attachInstance("web-staging", instanceId, Instant.now().minus(Duration.ofMinutes(10)));
    SelfReport report = new SelfReport(Duration.ofMinutes(15), reporter());
    Instant t0 = Instant.parse("2030-01-01T00:00:00Z");

    report.observe(false, t0);
    report.observe(false, t0.plus(Duration.ofMinutes(14)));
    assertThat(aws.calls("autoscaling", "SetInstanceHealth")).isZero();
    report.observe(false, t0.plus(Duration.ofMinutes(15)));
    report.observe(false, t0.plus(Duration.ofMinutes(30)));

    assertThat(aws.calls("autoscaling", "SetInstanceHealth")).isEqualTo(1);
    assertThat(aws.autoscaling().health(instanceId)).isEqualTo("Unhealthy");
  }
}
