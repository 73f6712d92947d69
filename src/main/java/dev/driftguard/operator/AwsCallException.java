package dev.driftguard.operator;

import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * An AWS call of an operator command failed after the SDK's own retries. {@link #isTransient} tells
 * throttling, AWS-side errors and network trouble (worth trying again at the next {@code --wait}
 * interval) from errors that will not go away by waiting (access denied, bad input).
 */
final class AwsCallException extends OperatorException {
  private static final long serialVersionUID = 1L;

  private final boolean transientError;

  private AwsCallException(String message, boolean transientError, Throwable cause) {
    super(message, cause);
    this.transientError = transientError;
  }

  /**
   * Wraps {@code e} with what was being done, e.g. {@code reading SSM parameter
   * /driftguard/web/image}. AWS error messages name resources and actions, never credentials, so
   * they are shown as they are: they are usually the most precise hint (e.g. the IAM action that
   * was denied).
   */
  static AwsCallException of(String doing, SdkException e) {
    if (e instanceof AwsServiceException service && service.awsErrorDetails() != null) {
      String code = service.awsErrorDetails().errorCode();
      String message = service.awsErrorDetails().errorMessage();
      boolean transientError = service.isThrottlingException() || service.statusCode() >= 500;
      String hint =
          code != null && (code.contains("AccessDenied") || code.contains("UnauthorizedOperation"))
              ? " (the operator's IAM policy: packaging/iam/driftguard-operator-policy.json)"
              : "";
      return new AwsCallException(
          doing + " failed: " + code + (message == null ? "" : ": " + message) + hint,
          transientError,
          e);
    }
    if (e instanceof SdkClientException) {
      return new AwsCallException(
          doing + " failed: " + e.getMessage() + " (are AWS credentials and region set?)", true, e);
    }
    return new AwsCallException(doing + " failed: " + e.getMessage(), false, e);
  }

  boolean isTransient() {
    return transientError;
  }
}
