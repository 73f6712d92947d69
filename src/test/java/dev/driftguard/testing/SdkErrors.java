package dev.driftguard.testing;

import static org.mockito.Mockito.CALLS_REAL_METHODS;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.withSettings;

import dev.driftguard.metrics.AgentMetrics;
import java.util.List;
import org.mockito.MockMakers;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.exception.AwsServiceException;

/**
 * AWS service errors as the SDK would raise them after its retries, and SDK clients that throw
 * them: the one place Mockito stands in for an SDK client (our own ports get fakes, DESIGN 5).
 *
 * <p>A client is mocked with {@link org.mockito.Mockito#CALLS_REAL_METHODS}, so the fluent {@code
 * client.op(b -> ...)} overload the adapters call runs for real, builds the request, and reaches
 * the {@code client.op(Request)} overload that the test stubs with {@code doThrow}.
 */
public final class SdkErrors {
  private SdkErrors() {}

  /** A mock of an SDK client interface whose consumer-builder overloads run for real. */
  public static <C> C client(Class<C> type) {
    // The subclass mock maker: an SDK client interface has hundreds of methods, and the default
    // inline maker's retransformation of them costs seconds per test class.
    return mock(
        type, withSettings().mockMaker(MockMakers.SUBCLASS).defaultAnswer(CALLS_REAL_METHODS));
  }

  /**
   * An error as AWS answers it: {@code builder} is the service's exception builder ({@code
   * SsmException.builder()}), {@code status} the HTTP status, {@code code} AWS's error code.
   */
  @SuppressWarnings("unchecked")
  public static <E extends AwsServiceException> E error(
      AwsServiceException.Builder builder, int status, String code, String message) {
    return (E)
        builder
            .statusCode(status)
            .message(message + " (Status Code: " + status + ", Request ID: 4d6f0a0e)")
            .awsErrorDetails(
                AwsErrorDetails.builder()
                    .errorCode(code)
                    .errorMessage(message)
                    .serviceName("test")
                    .build())
            .build();
  }

  /** Real metrics, to see what an adapter's failure counts. */
  public static AgentMetrics metrics() {
    return new AgentMetrics(List.of());
  }

  /** The {@code driftguard_aws_api_errors} sample for one call and code, or "" when absent. */
  public static String errorSample(
      AgentMetrics metrics, String service, String operation, String code) {
    return metrics
        .scrape()
        .lines()
        .filter(l -> l.startsWith("driftguard_aws_api_errors"))
        .filter(l -> l.contains("aws_service=\"" + service + "\""))
        .filter(l -> l.contains("operation=\"" + operation + "\""))
        .filter(l -> l.contains("code=\"" + code + "\""))
        .findFirst()
        .orElse("");
  }
}
