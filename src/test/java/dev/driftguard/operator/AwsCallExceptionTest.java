package dev.driftguard.operator;

import static dev.driftguard.testing.SdkErrors.error;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.ssm.model.SsmException;

/** The operator words AWS failures as the agent does (aws.AwsErrors), plus its own hints. */
class AwsCallExceptionTest {
  private static final String DOING = "reading SSM parameter /driftguard/web/image";

  @Test
  void of_accessDenied_saysWhatAwsSaid_pointsToThePolicy_andIsNotTransient() {
    AwsCallException e =
        AwsCallException.of(
            DOING,
            error(
                SsmException.builder(), 400, "AccessDeniedException", "User x is not authorized"));

    assertThat(e)
        .hasMessage(
            DOING
                + " failed: AccessDeniedException (HTTP 400): User x is not authorized"
                + " (the operator's IAM policy: packaging/iam/driftguard-operator-policy.json)");
    assertThat(e.isTransient()).isFalse();
  }

  @Test
  void of_throttledOrServerError_isTransient_withoutTheAgentsBackOffNote() {
    AwsCallException throttled =
        AwsCallException.of(
            DOING, error(SsmException.builder(), 400, "ThrottlingException", "Rate exceeded"));
    AwsCallException server =
        AwsCallException.of(
            DOING, error(SsmException.builder(), 500, "InternalServerError", "try again"));

    assertThat(throttled.isTransient()).isTrue();
    assertThat(throttled.getMessage()).doesNotContain("backing off");
    assertThat(server.isTransient()).isTrue();
  }

  @Test
  void of_clientFailure_isTransient_andAsksForCredentialsAndRegion() {
    AwsCallException e =
        AwsCallException.of(DOING, SdkClientException.create("Unable to load credentials"));

    assertThat(e)
        .hasMessage(
            DOING
                + " failed: SdkClientException: Unable to load credentials"
                + " (are AWS credentials and region set?)");
    assertThat(e.isTransient()).isTrue();
  }
}
