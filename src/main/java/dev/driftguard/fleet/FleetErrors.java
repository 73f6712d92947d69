package dev.driftguard.fleet;

import dev.driftguard.aws.AwsErrors;
import software.amazon.awssdk.core.exception.SdkException;

/** EC2 and ELBv2 failures of the fleet coordinator, e.g. {@code EC2 CreateTags failed for instance i-0abc: TagLimitExceeded (HTTP 400): ...}. The wording is shared by every AWS adapter ({@link AwsErrors}). */
final class FleetErrors {
  private FleetErrors() {}

  static String code(SdkException e) {
    return AwsErrors.code(e);
  }

  static boolean throttled(SdkException e) {
    return AwsErrors.throttled(e);
  }

  static String describe(String api, String operation, String context, SdkException e) {
    return AwsErrors.describe(api + " " + operation + " failed for " + context, e);
  }
}
