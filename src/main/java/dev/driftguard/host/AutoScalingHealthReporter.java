package dev.driftguard.host;

import dev.driftguard.aws.AwsErrors;
import dev.driftguard.model.AwsCallListener;
import java.util.Objects;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;

/**
 * {@link HostHealthReporter} over Auto Scaling's {@code SetInstanceHealth}: this instance, {@code
 * Unhealthy}, respecting the group's health check grace period (a host still starting is not
 * replaced; AWS answers {@code ValidationError} "The age of the instance ... is less than the
 * configured grace period", which is worth trying again later).
 *
 * <p>Calls are reported to the {@link AwsCallListener} as {@code autoscaling:SetInstanceHealth}. An
 * instance in no group is told so by AWS ({@code ValidationError} "Instance Id not found - No
 * managed instance found for instance ID"): that failure is {@linkplain
 * HostHealthReportException#permanent() permanent}.
 */
public final class AutoScalingHealthReporter implements HostHealthReporter {
  static final String SERVICE = "autoscaling";
  static final String OPERATION = "SetInstanceHealth";
  private static final String NOT_IN_A_GROUP = "No managed instance found";

  private final AutoScalingClient autoscaling;
  private final String instanceId;
  private final AwsCallListener listener;

  public AutoScalingHealthReporter(
      AutoScalingClient autoscaling, String instanceId, AwsCallListener listener) {
    this.autoscaling = Objects.requireNonNull(autoscaling, "autoscaling");
    this.instanceId = Objects.requireNonNull(instanceId, "instanceId");
    this.listener = Objects.requireNonNull(listener, "listener");
  }

  @Override
  public void reportUnhealthy() {
    try {
      autoscaling.setInstanceHealth(
          b -> b.instanceId(instanceId).healthStatus("Unhealthy").shouldRespectGracePeriod(true));
    } catch (SdkException e) {
      String code = AwsErrors.code(e);
      listener.onError(SERVICE, OPERATION, code);
      boolean notInGroup = notInAGroup(e);
      throw new HostHealthReportException(
          AwsErrors.describe(
                  "Auto Scaling " + OPERATION + " for instance " + instanceId + " failed", e)
              + hint(code, notInGroup),
          code,
          AwsErrors.throttled(e),
          notInGroup,
          e);
    }
    listener.onSuccess(SERVICE, OPERATION);
  }

  private static boolean notInAGroup(SdkException e) {
    return e instanceof AwsServiceException s
        && s.awsErrorDetails() != null
        && "ValidationError".equals(s.awsErrorDetails().errorCode())
        && String.valueOf(s.awsErrorDetails().errorMessage()).contains(NOT_IN_A_GROUP);
  }

  private static String hint(String code, boolean notInGroup) {
    if (notInGroup) {
      return " (the instance is in no Auto Scaling group: agent.selfReport has nothing to tell)";
    }
    if (code.contains("AccessDenied")) {
      return " (the instance role needs autoscaling:SetInstanceHealth on its group)";
    }
    return "";
  }
}
