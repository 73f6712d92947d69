package dev.driftguard.desired;

import dev.driftguard.aws.AwsErrors;
import software.amazon.awssdk.core.exception.SdkException;

/** SSM failures in an operator's words, e.g. {@code SSM GetParameters failed: AccessDeniedException (HTTP 400): ...}. The wording is shared by every AWS adapter ({@link AwsErrors}). */
final class SsmErrors {
  private SsmErrors() {}

  static String code(SdkException e) {
    return AwsErrors.code(e);
  }

  static boolean throttled(SdkException e) {
    return AwsErrors.throttled(e);
  }

  static String describe(String operation, SdkException e) {
    return AwsErrors.describe("SSM " + operation + " failed", e);
  }
}
