package dev.driftguard.desired;

import static dev.driftguard.testing.SdkErrors.error;
import static dev.driftguard.testing.SdkErrors.errorSample;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.argThat;
import static org.mockito.Mockito.doReturn;
import static org.mockito.Mockito.doThrow;

import dev.driftguard.metrics.AgentMetrics;
import dev.driftguard.testing.SdkErrors;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.GetParametersRequest;
import software.amazon.awssdk.services.ssm.model.GetParametersResponse;
import software.amazon.awssdk.services.ssm.model.Parameter;
import software.amazon.awssdk.services.ssm.model.SsmException;

/**
 * SSM errors that outlast the SDK's retries, as the SDK client raises them (Mockito makes it
 * throw), translated by the SSM adapters: a typed exception that says whether to back off, AWS's
 * code in the message, no secret in it, and the error counted in the metrics.
 */
class SsmErrorTranslationTest {
  private final SsmClient ssm = SdkErrors.client(SsmClient.class);
  private final AgentMetrics metrics = SdkErrors.metrics();

  @AfterEach
  void close() {
    metrics.close();
  }

  private static SsmException throttling() {
    return error(SsmException.builder(), 400, "ThrottlingException", "Rate exceeded");
  }

  private static SsmException internalError() {
    return error(SsmException.builder(), 500, "InternalServerError", "An internal error occurred");
  }

  @Test
  void desiredState_throttled_isUnavailableAndThrottled_withTheCode_andCounted() {
    doThrow(throttling()).when(ssm).getParameters(any(GetParametersRequest.class));

    assertThatThrownBy(
            () -> new SsmDesiredStateSource(ssm, metrics).read(List.of("/driftguard/web/image")))
        .isInstanceOfSatisfying(
            DesiredStateUnavailableException.class, e -> assertThat(e.throttled()).isTrue())
        .hasMessageContaining("SSM GetParameters failed: ThrottlingException (HTTP 400)")
        .hasMessageContaining("backing off");
    assertThat(errorSample(metrics, "ssm", "GetParameters", "ThrottlingException"))
        .endsWith(" 1.0");
  }

  @Test
  void desiredState_serverError_isUnavailableButNotThrottled() {
    doThrow(internalError()).when(ssm).getParameters(any(GetParametersRequest.class));

    assertThatThrownBy(
            () -> new SsmDesiredStateSource(ssm, metrics).read(List.of("/driftguard/web/image")))
        .isInstanceOfSatisfying(
            DesiredStateUnavailableException.class, e -> assertThat(e.throttled()).isFalse())
        .hasMessageContaining("InternalServerError (HTTP 500)");
    assertThat(errorSample(metrics, "ssm", "GetParameters", "InternalServerError"))
        .endsWith(" 1.0");
  }

  @Test
  void secrets_throttledOnTheSecondBatch_namesNoSecretOfTheFirst() {
    List<String> names = IntStream.range(0, 11).mapToObj(i -> "/web/secret" + i).toList();
    List<Parameter> firstBatch =
        names.subList(0, 10).stream()
            .map(n -> Parameter.builder().name(n).value("s3cret-value-of-" + n).version(1L).build())
            .toList();
    doReturn(GetParametersResponse.builder().parameters(firstBatch).build())
        .when(ssm)
        .getParameters(argThat((GetParametersRequest r) -> r != null && r.names().size() == 10));
    doThrow(throttling())
        .when(ssm)
        .getParameters(argThat((GetParametersRequest r) -> r != null && r.names().size() == 1));

    assertThatThrownBy(() -> new SsmSecretSource(ssm, metrics).resolve(names))
        .isInstanceOfSatisfying(
            SecretUnavailableException.class,
            e -> {
              assertThat(e.throttled()).isTrue();
              assertThat(e.missing()).isEmpty();
            })
        .hasMessageContaining("ThrottlingException")
        .hasMessageContaining("/web/secret10")
        .hasMessageNotContaining("s3cret");
    assertThat(errorSample(metrics, "ssm", "GetParameters", "ThrottlingException"))
        .endsWith(" 1.0");
  }

  @Test
  void secrets_serverError_isNotThrottled() {
    doThrow(error(SsmException.builder(), 503, "ServiceUnavailable", "Service Unavailable"))
        .when(ssm)
        .getParameters(any(GetParametersRequest.class));

    assertThatThrownBy(() -> new SsmSecretSource(ssm, metrics).resolve(List.of("/web/db")))
        .isInstanceOfSatisfying(
            SecretUnavailableException.class, e -> assertThat(e.throttled()).isFalse())
        .hasMessageContaining("ServiceUnavailable (HTTP 503)");
  }
}
