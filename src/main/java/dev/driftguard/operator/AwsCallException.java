package dev.driftguard.operator;

import dev.driftguard.aws.AwsErrors;
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
   * /driftguard/web/image}, in the words every AWS adapter uses ({@link AwsErrors#reason}). AWS
   * error messages name resources and actions, never credentials, so they are shown as they are:
   * they are usually the most precise hint (e.g. the IAM action that was denied).
   */
  static AwsCallException of(String doing, SdkException e) {
    String message = doing + " failed: " + AwsErrors.reason(e);
    if (e instanceof AwsServiceException service && service.awsErrorDetails() != null) {
      String code = AwsErrors.code(e);
      boolean transientError = AwsErrors.throttled(e) || service.statusCode() >= 500;
      String hint =
          code.contains("AccessDenied") || code.contains("UnauthorizedOperation")
              ? " (the operator's IAM policy: packaging/iam/driftguard-operator-policy.json)"
              : "";
      return new AwsCallException(message + hint, transientError, e);
    }
    if (e instanceof SdkClientException) {
      return new AwsCallException(message + " (are AWS credentials and region set?)", true, e);
    }
    return new AwsCallException(message, false, e);
  }

  boolean isTransient() {
    return transientError;
  }
}
