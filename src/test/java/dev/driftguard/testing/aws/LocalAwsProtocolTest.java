package dev.driftguard.testing.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftguard.cli.AwsClients;
import dev.driftguard.testing.FakeTime;
import dev.driftguard.testing.TestEnv;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.ecr.model.AuthorizationData;
import software.amazon.awssdk.services.ssm.model.ParameterType;
import software.amazon.awssdk.services.ssm.model.SsmException;

/**
 * Pins {@link LocalAws}'s protocol behaviour: routing, error shapes, auth, faults, ECR, process
 * mode.
 */
class LocalAwsProtocolTest {
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void unsignedRequest_isMissingAuthenticationToken() throws Exception {
    try (LocalAws aws = LocalAws.builder().start()) {
      HttpResponse<String> response =
          post(aws, "AmazonSSM.GetParameters", "{\"Names\":[\"/a\"]}", false);

      assertThat(response.statusCode()).isEqualTo(400);
      assertThat(response.body()).contains("\"__type\":\"MissingAuthenticationTokenException\"");
      assertThat(aws.calls("ssm", "GetParameters")).isZero();
    }
  }

  @Test
  void unknownOperation_andMalformedBody_areJsonErrors() throws Exception {
    try (LocalAws aws = LocalAws.builder().start()) {
      HttpResponse<String> unknown = post(aws, "AmazonSSM.DoSomethingElse", "{}", true);
      HttpResponse<String> malformed = post(aws, "AmazonSSM.GetParameters", "{not json", true);

      assertThat(unknown.statusCode()).isEqualTo(400);
      assertThat(unknown.body()).contains("UnknownOperationException");
      assertThat(unknown.headers().firstValue("Content-Type"))
          .contains("application/x-amz-json-1.1");
      assertThat(malformed.statusCode()).isEqualTo(400);
      assertThat(malformed.body()).contains("SerializationException");
    }
  }

  @Test
  void throttling_isRetriedBySdk_andEveryAttemptCounts() {
    try (LocalAws aws = LocalAws.builder().start();
        AwsClients clients = aws.newClients()) {
      aws.ssm().put("/a", "1");
      aws.throttleNext("ssm", "GetParameters", 2);

      // Standard retry mode makes 3 attempts: two throttled, the third served.
      assertThat(clients.ssm().getParameters(b -> b.names("/a")).parameters()).hasSize(1);
      assertThat(aws.calls("ssm", "GetParameters")).isEqualTo(3);
    }
  }

  @Test
  void injectedFault_hasTheGivenCode() {
    try (LocalAws aws = LocalAws.builder().start();
        AwsClients clients = aws.newClients()) {
      aws.failNext(
          "ssm",
          "*",
          1,
          AwsFault.badRequest("AccessDeniedException", "User: local is not authorized"));

      assertThatThrownBy(
              () ->
                  clients
                      .ssm()
                      .putParameter(b -> b.name("/a").value("1").type(ParameterType.STRING)))
          .isInstanceOfSatisfying(
              SsmException.class,
              e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("AccessDeniedException"));
      assertThat(
              clients
                  .ssm()
                  .putParameter(b -> b.name("/a").value("1").type(ParameterType.STRING))
                  .version())
          .isEqualTo(1);
    }
  }

  @Test
  void getAuthorizationToken_handsOutTheRegistryPasswordFor12Hours() {
    FakeTime time = FakeTime.startingAt("2030-01-01T00:00:00Z");
    try (LocalAws aws = LocalAws.builder().registryPassword("s3cret").clock(time).start();
        AwsClients clients = aws.newClients()) {
      AuthorizationData data =
          clients.ecr().getAuthorizationToken(b -> {}).authorizationData().get(0);

      assertThat(
              new String(
                  Base64.getDecoder().decode(data.authorizationToken()), StandardCharsets.UTF_8))
          .isEqualTo("AWS:s3cret");
      assertThat(data.expiresAt()).isEqualTo(Instant.parse("2030-01-01T12:00:00Z"));
      assertThat(data.proxyEndpoint())
          .isEqualTo("https://123456789012.dkr.ecr.us-east-1.amazonaws.com");
      assertThat(aws.ecr().registryHost())
          .isEqualTo("123456789012.dkr.ecr.us-east-1.amazonaws.com");
      assertThat(aws.calls("ecr", "GetAuthorizationToken")).isEqualTo(1);
    }
  }

  @Test
  void testEnv_readsRegistryPassword(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("env.properties");
    assertThat(TestEnv.registryPassword(file)).isEmpty();

    Files.writeString(file, "registry.host=x\nregistry.password=pw-from-env\n");

    assertThat(TestEnv.registryPassword(file)).contains("pw-from-env");
  }

  @Test
  void main_runsAsItsOwnProcess_andServesKnobsOverHttp(@TempDir Path dir) throws Exception {
    Path portFile = dir.resolve("port");
    Path envFile = dir.resolve("env.properties");
    Files.writeString(envFile, "registry.password=from-env-file\n");
    Process process =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                LocalAws.class.getName(),
                "--port-file",
                portFile.toString(),
                "--env-file",
                envFile.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("out.log").toFile())
            .start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!Files.exists(portFile)) {
        assertThat(process.isAlive())
            .as("local-aws process alive; log: %s", dir.resolve("out.log"))
            .isTrue();
        assertThat(System.nanoTime()).as("port file written in time").isLessThan(deadline);
        Thread.sleep(50);
      }
      int port = Integer.parseInt(Files.readString(portFile).strip());
      URI base = URI.create("http://127.0.0.1:" + port);

      HttpResponse<String> fault =
          http.send(
              HttpRequest.newBuilder(
                      base.resolve(
                          "/_localaws/faults?service=ecr&code=ThrottlingException&count=1"))
                  .POST(HttpRequest.BodyPublishers.noBody())
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      HttpResponse<String> token =
          post(base, "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken", "{}", true);
      HttpResponse<String> token2 =
          post(base, "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken", "{}", true);
      HttpResponse<String> calls =
          http.send(
              HttpRequest.newBuilder(base.resolve("/_localaws/calls")).build(),
              HttpResponse.BodyHandlers.ofString());

      assertThat(fault.statusCode()).isEqualTo(200);
      assertThat(token.statusCode()).isEqualTo(400);
      assertThat(token.body()).contains("ThrottlingException");
      assertThat(token2.statusCode()).isEqualTo(200);
      assertThat(token2.body())
          .contains(
              Base64.getEncoder()
                  .encodeToString("AWS:from-env-file".getBytes(StandardCharsets.UTF_8)));
      assertThat(calls.body()).contains("\"ecr:GetAuthorizationToken\":2");
      assertThat(Files.readString(dir.resolve("out.log")))
          .contains("local-aws listening on http://127.0.0.1:" + port);
    } finally {
      process.destroy();
      assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
    }
  }

  private HttpResponse<String> post(LocalAws aws, String target, String body, boolean signed)
      throws Exception {
    return post(aws.endpoint(), target, body, signed);
  }

  private HttpResponse<String> post(URI endpoint, String target, String body, boolean signed)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(endpoint.resolve("/"))
            .timeout(Duration.ofSeconds(10))
            .header("Content-Type", "application/x-amz-json-1.1")
            .header("X-Amz-Target", target)
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (signed) {
      request.header(
          "Authorization",
          "AWS4-HMAC-SHA256 Credential=AKIALOCALAWSTEST0000/20300101/us-east-1/ssm/aws4_request,"
              + " SignedHeaders=host, Signature=0");
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
