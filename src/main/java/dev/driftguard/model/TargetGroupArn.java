package dev.driftguard.model;

import java.util.regex.Pattern;

/**
 * An ELBv2 target group ARN, e.g. {@code
 * arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/abc123}.
 */
public record TargetGroupArn(String value) {
  private static final Pattern ARN =
      Pattern.compile(
          "arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:targetgroup/[A-Za-z0-9-]{1,32}/[0-9a-f]+");

  public TargetGroupArn {
    if (value == null || !ARN.matcher(value).matches()) {
      throw new InvalidValueException(
          "malformed target group ARN '"
              + Digest.abbreviate(value)
              + "': expected arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID");
    }
  }

  public static TargetGroupArn parse(String value) {
    return new TargetGroupArn(value);
  }

  @Override
  public String toString() {
    return value;
  }
}
