package dev.driftguard.aws;

import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * Turns an SDK failure into the words an operator needs, the same way for every AWS adapter:
 * the AWS error code, the HTTP status and AWS's own message. AWS's messages for the calls the
 * agent makes name resources and IAM principals, never parameter values or tokens.
 */
public final class AwsErrors {
  private AwsErrors() {}

  /** The AWS error code, or the SDK exception's class name for failures that never reached AWS. */
  public static String code(SdkException e) {
    if (e instanceof AwsServiceException service
        && service.awsErrorDetails() != null
        && service.awsErrorDetails().errorCode() != null) {
      return service.awsErrorDetails().errorCode();
    }
    return e.getClass().getSimpleName();
  }

  public static boolean throttled(SdkException e) {
    return e instanceof AwsServiceException service && service.isThrottlingException();
  }

  /**
   * {@code failure} followed by what AWS said, e.g. {@code SSM GetParameters failed:
   * AccessDeniedException (HTTP 400): User ... is not authorized}.
   *
   * @param failure what failed, e.g. {@code "SSM GetParameters failed"}
   */
  public static String describe(String failure, SdkException e) {
    StringBuilder sb = new StringBuilder(failure).append(": ").append(code(e));
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
