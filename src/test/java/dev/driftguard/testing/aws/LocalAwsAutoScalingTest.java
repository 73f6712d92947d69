package dev.driftguard.testing.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftguard.cli.AwsClients;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingException;
import software.amazon.awssdk.services.autoscaling.model.ResourceContentionException;

/** Pins {@code SetInstanceHealth} of {@link LocalAws} through the real SDK client. */
class LocalAwsAutoScalingTest {
  private final String instanceId = Ec2Service.newInstanceId();
  private LocalAws aws;
  private AwsClients clients;
  private AutoScalingClient autoscaling;

  @BeforeEach
  void start() {
    aws = LocalAws.builder().start();
    clients = aws.newClients();
    autoscaling = clients.autoscaling();
    aws.addInstance(instanceId, Map.of());
    aws.autoscaling().createGroup("web", Duration.ofSeconds(300));
  }

  @AfterEach
  void stop() {
    clients.close();
    aws.close();
  }

  private static String code(Throwable e) {
    return ((AutoScalingException) e).awsErrorDetails().errorCode();
  }

  @Test
  void setInstanceHealth_pastTheGracePeriod_setsIt() {
    aws.autoscaling().attachInstance("web", instanceId, Instant.now().minusSeconds(301));

    autoscaling.setInstanceHealth(b -> b.instanceId(instanceId).healthStatus("Unhealthy"));
    assertThat(aws.autoscaling().health(instanceId)).isEqualTo("Unhealthy");

    autoscaling.setInstanceHealth(b -> b.instanceId(instanceId).healthStatus("Healthy"));
    assertThat(aws.autoscaling().health(instanceId)).isEqualTo("Healthy");
  }

  @Test
  void setInstanceHealth_withinTheGracePeriod_respectsItByDefault_unlessToldNotTo() {
    aws.autoscaling().attachInstance("web", instanceId, Instant.now().minusSeconds(60));

    assertThatThrownBy(
            () ->
                autoscaling.setInstanceHealth(
                    b -> b.instanceId(instanceId).healthStatus("Unhealthy")))
        .isInstanceOf(AutoScalingException.class)
        .satisfies(e -> assertThat(code(e)).isEqualTo("ValidationError"))
        .hasMessageContaining("is less than the configured grace period of 300 seconds");
    assertThat(aws.autoscaling().health(instanceId)).isEqualTo("Healthy");

    autoscaling.setInstanceHealth(
        b -> b.instanceId(instanceId).healthStatus("Unhealthy").shouldRespectGracePeriod(false));
    assertThat(aws.autoscaling().health(instanceId)).isEqualTo("Unhealthy");
  }

  @Test
  void setInstanceHealth_instanceInNoGroup_isValidationError() {
    assertThatThrownBy(
            () ->
                autoscaling.setInstanceHealth(
                    b -> b.instanceId(instanceId).healthStatus("Unhealthy")))
        .isInstanceOf(AutoScalingException.class)
        .satisfies(e -> assertThat(code(e)).isEqualTo("ValidationError"))
        .hasMessageContaining(
            "Instance Id not found - No managed instance found for instance ID: " + instanceId);
  }

  @Test
  void setInstanceHealth_invalidInput_isValidationError() {
    aws.autoscaling().attachInstance("web", instanceId, Instant.now().minusSeconds(301));

    assertThatThrownBy(() -> autoscaling.setInstanceHealth(b -> b.instanceId(instanceId)))
        .satisfies(e -> assertThat(code(e)).isEqualTo("ValidationError"))
        .hasMessageContaining("Value null at 'healthStatus'");
    assertThatThrownBy(
            () ->
                autoscaling.setInstanceHealth(
                    b -> b.instanceId("i-" + "0".repeat(20)).healthStatus("Unhealthy")))
        .satisfies(e -> assertThat(code(e)).isEqualTo("ValidationError"))
        .hasMessageContaining("length less than or equal to 19");
    assertThatThrownBy(
            () -> autoscaling.setInstanceHealth(b -> b.instanceId(instanceId).healthStatus("Sick")))
        .satisfies(e -> assertThat(code(e)).isEqualTo("ValidationError"));
  }

  @Test
  void setInstanceHealth_injectedResourceContention_isThe500ItsModelNames() {
    aws.autoscaling().attachInstance("web", instanceId, Instant.now().minusSeconds(301));
    aws.failNext(
        "autoscaling",
        "SetInstanceHealth",
        3,
        new AwsFault(500, "ResourceContention", "You already have a pending update"));

    assertThatThrownBy(
            () ->
                autoscaling.setInstanceHealth(
                    b -> b.instanceId(instanceId).healthStatus("Unhealthy")))
        .isInstanceOf(ResourceContentionException.class);
    assertThat(aws.calls("autoscaling", "SetInstanceHealth")).isEqualTo(3);
  }
}
