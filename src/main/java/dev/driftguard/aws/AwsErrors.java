package dev.driftguard.aws;

import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * Turns an SDK failure into the words an operator needs, the same way for every AWS adapter: the
 * AWS error code, the HTTP status and AWS's own message. AWS's messages for the calls the agent
 * makes name resources and IAM principals, never parameter values or tokens.
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
   * AccessDeniedException (HTTP 400): User ... is not authorized}, and whether the agent backs off.
   *
   * @param failure what failed, e.g. {@code "SSM GetParameters failed"}
   */
  public static String describe(String failure, SdkException e) {
    return failure + ": " + reason(e) + (throttled(e) ? " (throttled: backing off)" : "");
  }

  /**
   * {@link #describe} of {@code SERVICE OPERATION failed}, e.g. {@code SSM GetParameters failed}.
   */
  public static String failed(String service, String operation, SdkException e) {
    return describe(service + " " + operation + " failed", e);
  }

  /**
   * {@link #describe} of {@code SERVICE OPERATION failed for CONTEXT}, e.g. {@code ELBv2
   * RegisterTargets failed for target i-0abc:8080 in target group arn:...}.
   */
  public static String failed(String service, String operation, String context, SdkException e) {
    return describe(service + " " + operation + " failed for " + context, e);
  }

  /**
   * What AWS said, without what failed: the error code, the HTTP status and AWS's message, e.g.
   * {@code AccessDeniedException (HTTP 400): User ... is not authorized}; for failures that never
   * reached AWS the SDK exception's class and message.
   */
  public static String reason(SdkException e) {
    StringBuilder sb = new StringBuilder(code(e));
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
    return sb.toString();
  }
}
