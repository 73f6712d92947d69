package dev.driftguard.desired;

import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * Turns an SDK failure into the words an operator needs: the AWS error code, HTTP status and AWS's
 * own message (which for the read operations used here names parameters and IAM principals, never
 * parameter values).
 */
final class SsmErrors {
  private SsmErrors() {}

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
   * e.g. {@code SSM GetParameters failed: AccessDeniedException (HTTP 400): User ... is not
   * authorized}.
   */
  static String describe(String operation, SdkException e) {
    StringBuilder sb =
        new StringBuilder("SSM ").append(operation).append(" failed: ").append(code(e));
    if (e instanceof AwsServiceException service) {
      sb.append(" (HTTP ").append(service.statusCode()).append(")");
      String message =
          service.awsErrorDetails() == null ? null : service.awsErrorDetails().errorMessage();
      if (message != null && !message.isBlank()) {
        sb.append(": ").append(message);
      }
    } else if (e.getMessage() != null) {
      // Client-side failures (timeouts, refused connections) say what happened in the message.
      sb.append(": ").append(e.getMessage());
    }
    if (throttled(e)) {
      sb.append(" (throttled: backing off)");
    }
    return sb.toString();
  }
}
