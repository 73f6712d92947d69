package dev.driftguard.testing.aws;

import java.nio.charset.StandardCharsets;

/** An HTTP answer: status, content type and body. */
public record AwsReply(int status, String contentType, byte[] body) {

  public static AwsReply text(int status, String contentType, String body) {
    return new AwsReply(status, contentType, body.getBytes(StandardCharsets.UTF_8));
  }
}
