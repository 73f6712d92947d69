package dev.driftguard.fleet;

import static dev.driftguard.testing.SdkErrors.error;
import static dev.driftguard.testing.SdkErrors.errorSample;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.doThrow;

import dev.driftguard.host.ImdsInstanceIdentity;
import dev.driftguard.host.InstanceIdentityException;
import dev.driftguard.metrics.AgentMetrics;
import dev.driftguard.testing.SdkErrors;
import dev.driftguard.testing.Specs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.imds.Ec2MetadataClient;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.DescribeTagsRequest;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import software.amazon.awssdk.services.elasticloadbalancingv2.ElasticLoadBalancingV2Client;

/**
 * EC2 errors that outlast the SDK's retries, as the SDK client raises them (Mockito makes it
 * throw), translated by the adapters that read tags: the circuit breaker's peer check ({@link
 * AwsFleetCoordinator#rolledBackBy}) and the instance identity's {@code DescribeTags} fallback.
 */
class Ec2ErrorTranslationTest {
  private static final String INSTANCE = "i-0123456789abcdef0";

  private final Ec2Client ec2 = SdkErrors.client(Ec2Client.class);
  private final AgentMetrics metrics = SdkErrors.metrics();

  @AfterEach
  void close() {
    metrics.close();
  }

  private AwsFleetCoordinator fleet() {
    return AwsFleetCoordinator.create(
        SdkErrors.client(ElasticLoadBalancingV2Client.class), () -> ec2, INSTANCE, metrics);
  }

  @Test
  void rolledBackBy_requestLimitExceeded_isThrottled_withTheCode_andCounted() {
    doThrow(error(Ec2Exception.builder(), 503, "RequestLimitExceeded", "Request limit exceeded."))
        .when(ec2)
        .describeTags(any(DescribeTagsRequest.class));

    assertThatThrownBy(() -> fleet().rolledBackBy(Specs.web(), Specs.image('2').digest()))
        .isInstanceOfSatisfying(
            FleetCoordinationException.class, e -> assertThat(e.throttled()).isTrue())
        .hasMessageContaining("EC2 DescribeTags failed")
        .hasMessageContaining("RequestLimitExceeded (HTTP 503)");
    assertThat(errorSample(metrics, "ec2", "DescribeTags", "RequestLimitExceeded"))
        .endsWith(" 1.0");
  }

  @Test
  void rolledBackBy_internalError_isNotThrottled() {
    doThrow(error(Ec2Exception.builder(), 500, "InternalError", "An internal error has occurred"))
        .when(ec2)
        .describeTags(any(DescribeTagsRequest.class));

    assertThatThrownBy(() -> fleet().rolledBackBy(Specs.web(), Specs.image('2').digest()))
        .isInstanceOfSatisfying(
            FleetCoordinationException.class, e -> assertThat(e.throttled()).isFalse())
        .hasMessageContaining("InternalError (HTTP 500)");
    assertThat(errorSample(metrics, "ec2", "DescribeTags", "InternalError")).endsWith(" 1.0");
  }

  @Test
  void identityTags_describeTagsThrottled_namesTheCodeAndTheFix_andCounts() {
    Ec2MetadataClient imds = SdkErrors.client(Ec2MetadataClient.class);
    doThrow(error(Ec2Exception.builder(), 503, "RequestLimitExceeded", "Request limit exceeded."))
        .when(ec2)
        .describeTags(any(DescribeTagsRequest.class));
    ImdsInstanceIdentity identity = new ImdsInstanceIdentity(imds, () -> ec2, metrics);

    assertThatThrownBy(() -> identityTagsWithMetadataTagsOff(identity, imds))
        .isInstanceOf(InstanceIdentityException.class)
        .hasMessageContaining("RequestLimitExceeded (HTTP 503)")
        .hasMessageContaining("ec2:DescribeTags");
    assertThat(errorSample(metrics, "ec2", "DescribeTags", "RequestLimitExceeded"))
        .endsWith(" 1.0");
  }

  /** IMDS answers the instance id, and 404 for metadata tags (off), so tags come from EC2. */
  private static void identityTagsWithMetadataTagsOff(
      ImdsInstanceIdentity identity, Ec2MetadataClient imds) {
    org.mockito.Mockito.doReturn(software.amazon.awssdk.imds.Ec2MetadataResponse.create(INSTANCE))
        .when(imds)
        .get("/latest/meta-data/instance-id");
    org.mockito.Mockito.doThrow(
            software.amazon.awssdk.imds.Ec2MetadataClientException.builder()
                .statusCode(404)
                .message("Not Found")
                .build())
        .when(imds)
        .get("/latest/meta-data/tags/instance");
    identity.tags();
  }
}
