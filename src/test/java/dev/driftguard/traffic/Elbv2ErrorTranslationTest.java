package dev.driftguard.traffic;

import static dev.driftguard.testing.SdkErrors.error;
import static dev.driftguard.testing.SdkErrors.errorSample;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.doThrow;

import dev.driftguard.metrics.AgentMetrics;
import dev.driftguard.model.RolloutSpec;
import dev.driftguard.model.TrafficSpec;
import dev.driftguard.testing.SdkErrors;
import dev.driftguard.testing.Specs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.elasticloadbalancingv2.ElasticLoadBalancingV2Client;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.DeregisterTargetsRequest;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.ElasticLoadBalancingV2Exception;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.RegisterTargetsRequest;

/**
 * ELBv2 errors that outlast the SDK's retries, as the SDK client raises them (Mockito makes it
 * throw), translated by {@link Elbv2TrafficGate}: a typed exception that says whether to back off,
 * AWS's code and the target in the message, and the error counted in the metrics.
 */
class Elbv2ErrorTranslationTest {
  private static final String ARN =
      "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef";
  private static final String INSTANCE = "i-0123456789abcdef0";

  private final ElasticLoadBalancingV2Client elbv2 =
      SdkErrors.client(ElasticLoadBalancingV2Client.class);
  private final AgentMetrics metrics = SdkErrors.metrics();
  private final Elbv2TrafficGate gate = new Elbv2TrafficGate(elbv2, INSTANCE, metrics);

  @AfterEach
  void close() {
    metrics.close();
  }

  private static TrafficSpec web() {
    return Specs.webBehindLoadBalancer(RolloutSpec.Strategy.STOP_FIRST).traffic();
  }

  @Test
  void deregister_throttled_isThrottled_withTheCodeAndTarget_andCounted() {
    doThrow(error(ElasticLoadBalancingV2Exception.builder(), 400, "Throttling", "Rate exceeded"))
        .when(elbv2)
        .deregisterTargets(any(DeregisterTargetsRequest.class));

    assertThatThrownBy(() -> gate.deregister(web(), 80))
        .isInstanceOfSatisfying(TrafficGateException.class, e -> assertThat(e.throttled()).isTrue())
        .hasMessageContaining("ELBv2 DeregisterTargets failed for target " + INSTANCE + ":80")
        .hasMessageContaining(ARN)
        .hasMessageContaining("Throttling (HTTP 400)");
    assertThat(errorSample(metrics, "elbv2", "DeregisterTargets", "Throttling")).endsWith(" 1.0");
  }

  @Test
  void register_serviceUnavailable_isNotThrottled() {
    doThrow(
            error(
                ElasticLoadBalancingV2Exception.builder(),
                503,
                "ServiceUnavailable",
                "Service Unavailable"))
        .when(elbv2)
        .registerTargets(any(RegisterTargetsRequest.class));

    assertThatThrownBy(() -> gate.register(web(), 80))
        .isInstanceOfSatisfying(
            TrafficGateException.class, e -> assertThat(e.throttled()).isFalse())
        .hasMessageContaining("ServiceUnavailable (HTTP 503)");
    assertThat(errorSample(metrics, "elbv2", "RegisterTargets", "ServiceUnavailable"))
        .endsWith(" 1.0");
  }
}
