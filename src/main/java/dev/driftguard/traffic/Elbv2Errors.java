package dev.driftguard.traffic;

import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * Turns an SDK failure into the words an operator needs: the AWS error code, HTTP status and AWS's
 * own message (which for ELBv2 names target groups and targets, never credentials). Kept beside the
 * adapter, as each adapter package owns its translation (adapters never import each other).
 */
final class Elbv2Errors {
  private Elbv2Errors() {}

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

  /**
   * e.g. {@code ELBv2 RegisterTargets failed for i-0abc port 8080 in arn:...: InvalidTarget (HTTP
   * 400): The following targets are not in a running state...}.
   */
  static String describe(String operation, String context, SdkException e) {
    StringBuilder sb =
        new StringBuilder("ELBv2 ")
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
