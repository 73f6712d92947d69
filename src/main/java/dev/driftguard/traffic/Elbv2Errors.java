package dev.driftguard.traffic;

import dev.driftguard.aws.AwsErrors;
import software.amazon.awssdk.core.exception.SdkException;

/** ELBv2 failures in an operator's words, e.g. {@code ELBv2 RegisterTargets failed for i-0abc port 8080 in arn:...: InvalidTarget (HTTP 400): ...}. The wording is shared by every AWS adapter ({@link AwsErrors}). */
final class Elbv2Errors {
  private Elbv2Errors() {}

  static String code(SdkException e) {
    return AwsErrors.code(e);
  }

  static boolean throttled(SdkException e) {
    return AwsErrors.throttled(e);
  }

  static String describe(String operation, String context, SdkException e) {
    return AwsErrors.describe("ELBv2 " + operation + " failed for " + context, e);
  }
}
