package dev.driftguard.operator;

import dev.driftguard.testing.aws.LocalAws;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Host configurations pointing the agent's clients at a {@link LocalAws}. */
final class LocalAwsConfig {
  private LocalAwsConfig() {}

  /** A configuration whose only service is {@code serviceName} (literal or a tag placeholder). */
  static Path write(Path dir, LocalAws aws, String serviceName, String allowedRegistry)
      throws IOException {
    Path file = dir.resolve("driftguard.yaml");
    Files.writeString(
        file,
        """
        agent:
          aws:
            region: us-east-1
            endpoints: { ssm: "%1$s", ecr: "%1$s", ec2: "%1$s" }
        services:
          - name: "%2$s"
            desired:
              allowedRegistries: ["%3$s"]
        """
            .formatted(aws.endpoint(), serviceName, allowedRegistry));
    return file;
  }
}
