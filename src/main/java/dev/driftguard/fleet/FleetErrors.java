package dev.driftguard.fleet;

import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * Turns an SDK failure into the words an operator needs: the AWS error code, HTTP status and AWS's
 * own message (for EC2 and ELBv2 it names resources and IAM principals, never credentials).
 */
final class FleetErrors {
  private FleetErrors() {}

  /** The AWS error code, or the SDK exception's class name for failures that never reached AWS. */
  static String code(SdkException e) {
    if (e instanceof AwsServiceException service
        && service.awsErrorDetails() != null
        && service.awsErrorDetails().errorCode() != null) {
      return service.awsErrorDetails().errorCode();
    }
    return e.getClass().getSimpleName();
  }

  static boolean throttled(SdkException e) {
    return e instanceof AwsServiceException service && service.isThrottlingException();
  }

  /** e.g. {@code EC2 CreateTags failed for instance i-0abc: TagLimitExceeded (HTTP 400): ...}. */
  static String describe(String api, String operation, String context, SdkException e) {
    StringBuilder sb =
        new StringBuilder(api)
            .append(' ')
            .append(operation)
            .append(" failed for ")
            .append(context)
            .append(": ")
            .append(code(e));
    if (e instanceof AwsServiceException service) {
      sb.append(" (HTTP ").append(service.statusCode()).append(")");
      String message =
          service.awsErrorDetails() == null ? null : service.awsErrorDetails().errorMessage();
      if (message != null && !message.isBlank()) {
        sb.append(": ").append(message);
      }
    } else if (e.getMessage() != null) {
      sb.append(": ").append(e.getMessage());
    }
    if (throttled(e)) {
      sb.append(" (throttled: backing off)");
    }
    return sb.toString();
  }
}
