package dev.driftguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftguard.model.AwsCallListener;
import dev.driftguard.testing.aws.LocalAws;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.regions.Region;

/**
 * Through the real SDK client against local AWS: throttled attempts are counted, retries included.
 */
class ThrottledAttemptsTest {

  @Test
  void everyThrottledAttempt_isCounted_evenWhenTheSdksRetryGetsThrough() {
    List<String> throttled = new CopyOnWriteArrayList<>();
    AwsCallListener listener =
        new AwsCallListener() {
          @Override
          public void onSuccess(String service, String operation) {}

          @Override
          public void onError(String service, String operation, String code) {}

          @Override
          public void onThrottled(String service, String operation) {
            throttled.add(service + ":" + operation);
          }
        };
    try (LocalAws aws = LocalAws.builder().start();
        AwsClients clients =
            AwsClients.builder()
                .region(Region.US_EAST_1)
                .endpoints(aws.endpoints())
                .credentialsProvider(LocalAws.credentials())
                .callMetrics(new ThrottledAttempts(listener))
                .build()) {
      aws.ssm().put("/driftguard/web/image", "x");
      aws.throttleNext("ssm", "GetParameters", 2);

      // The SDK's standard retries get through on the third attempt: the call succeeds.
      assertThat(clients.ssm().getParameters(b -> b.names("/driftguard/web/image")).parameters())
          .hasSize(1);
      assertThat(throttled).containsExactly("ssm:GetParameters", "ssm:GetParameters");

      clients.ssm().getParameters(b -> b.names("/driftguard/web/image"));
      assertThat(throttled).hasSize(2);
    }
  }
}
