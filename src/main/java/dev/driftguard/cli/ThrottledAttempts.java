package dev.driftguard.cli;

import dev.driftguard.model.AwsCallListener;
import java.util.Locale;
import java.util.Map;
import software.amazon.awssdk.core.internal.metrics.SdkErrorType;
import software.amazon.awssdk.core.metrics.CoreMetric;
import software.amazon.awssdk.metrics.MetricCollection;
import software.amazon.awssdk.metrics.MetricPublisher;

/**
 * Counts every throttled attempt of every AWS call, the ones the SDK's retries absorbed included:
 * the adapters only see a call's final outcome, while the account-wide limits (DESIGN 4) are spent
 * by attempts. The SDK reports each attempt's error type in its call metrics; a {@code Throttling}
 * attempt is passed to {@link AwsCallListener#onThrottled}.
 */
final class ThrottledAttempts implements MetricPublisher {
  /** SDK service ids to the endpoint keys the metrics use elsewhere. */
  private static final Map<String, String> SERVICE_KEYS =
      Map.of(
          "ssm", "ssm",
          "ecr", "ecr",
          "ec2", "ec2",
          "elastic load balancing v2", "elbv2",
          "dynamodb", "dynamodb",
          "auto scaling", "autoscaling");

  private final AwsCallListener listener;

  ThrottledAttempts(AwsCallListener listener) {
    this.listener = listener;
  }

  @Override
  public void publish(MetricCollection call) {
    String service =
        call.metricValues(CoreMetric.SERVICE_ID).stream().findFirst().orElse("unknown");
    String operation =
        call.metricValues(CoreMetric.OPERATION_NAME).stream().findFirst().orElse("unknown");
    String key =
        SERVICE_KEYS.getOrDefault(
            service.toLowerCase(Locale.ROOT), service.toLowerCase(Locale.ROOT));
    for (MetricCollection attempt : call.children()) {
      if (attempt
          .metricValues(CoreMetric.ERROR_TYPE)
          .contains(SdkErrorType.THROTTLING.toString())) {
        listener.onThrottled(key, operation);
      }
    }
  }

  @Override
  public void close() {}
}
