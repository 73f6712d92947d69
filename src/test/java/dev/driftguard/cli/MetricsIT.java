package dev.driftguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.driftguard.model.ImageRef;
import dev.driftguard.testing.aws.AwsFault;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The operator's surface end to end (issue 4): {@code driftguard --log-format json run} as a
 * process on the real engine, with SSM and ECR on the local AWS endpoint. Scrapes {@code /metrics}
 * after a deploy, a rejected record and an AWS error, checks {@code /healthz} and {@code /status},
 * saves the scrape for {@code promtool check metrics} (test/metrics/check), and greps every output
 * for the secrets the run used.
 */
class MetricsIT {
  @RegisterExtension
  static final OneHostAgent host =
      new OneHostAgent("dgmet", "i-0123456789abcdef0", Duration.ofSeconds(30), null);

  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final Pattern LISTENING =
      Pattern.compile("serving /metrics and /healthz on http://([0-9.]+:[0-9]+)");
  private static final ObjectMapper JSON = new ObjectMapper();

  private static final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @Test
  void metricsStatusAndHealthz_followADeployARejectionAndAnAwsError() throws Exception {
    ImageRef v1 = host.env.image("v1");
    host.aws.ssm().put(host.parameter(), v1.toString());
    try (AgentProcess agent =
        AgentProcess.start(
            host.config, OneHostAgent.AGENT_ENV, host.log, "--log-format", "json", "run")) {
      String address = awaitAddress();

      // A deploy: the first pass finds no container and deploys v1.
      await(
          "v1 deployed and in sync",
          () ->
              value(address, deploys("success")) >= 1
                  && value(address, "driftguard_in_sync{service=\"" + host.service + "\"}") == 1);
      String scrape = get(address, "/metrics").body();
      assertThat(scrape)
          .contains(
              "driftguard_running_image_info{digest=\""
                  + v1.digest()
                  + "\",service=\""
                  + host.service)
          .contains(
              "driftguard_desired_image_info{digest=\""
                  + v1.digest()
                  + "\",service=\""
                  + host.service);
      assertThat(value(address, "driftguard_container_healthy{service=\"" + host.service + "\"}"))
          .isEqualTo(1);
      assertThat(value(address, "driftguard_waiting_for_turn{service=\"" + host.service + "\"}"))
          .as("idle after the deploy")
          .isEqualTo(0);
      assertThat(scrape)
          .containsPattern(
              "driftguard_build_info\\{commit=\"([0-9a-f]{12}|unknown)\",java_version=\"17[^\"]*\",version=\"[^\"]+\"} 1")
          .contains("# TYPE process_cpu_seconds_total counter");
      assertThat(value(address, "process_resident_memory_bytes"))
          .as("the agent's RSS, well under the unit's MemoryMax")
          .isBetween(16.0 * 1024 * 1024, 320.0 * 1024 * 1024);
      assertThat(value(address, "process_open_fds")).isGreaterThan(0);
      assertThat(scrape)
          .containsPattern(
              "driftguard_drift_detected_total\\{reason=\"[a-z_]+\",service=\""
                  + host.service
                  + "\"} [1-9]");
      assertThat(
              value(
                  address,
                  "driftguard_image_pull_duration_seconds_count{service=\"" + host.service + "\"}"))
          .isEqualTo(1);
      assertThat(
              value(
                  address,
                  "driftguard_deploy_duration_seconds_count{service=\"" + host.service + "\"}"))
          .isEqualTo(1);
      assertThat(value(address, "driftguard_last_successful_poll_timestamp_seconds"))
          .isGreaterThan(Instant.now().minusSeconds(60).getEpochSecond());
      assertThat(value(address, "driftguard_ecr_token_expiry_timestamp_seconds"))
          .as("the pull used an ECR token")
          .isGreaterThan(Instant.now().getEpochSecond());
      assertThat(
              value(
                  address,
                  "driftguard_aws_api_calls_total{aws_service=\"ecr\",operation=\"GetAuthorizationToken\"}"))
          .isGreaterThanOrEqualTo(1);

      JsonNode status = JSON.readTree(get(address, "/status").body());
      assertThat(status.path("agent").path("instanceId").asText()).isEqualTo("i-0123456789abcdef0");
      JsonNode entry = status.path("services").get(0);
      assertThat(entry.path("name").asText()).isEqualTo(host.service);
      assertThat(entry.path("inSync").asBoolean()).isTrue();
      assertThat(entry.path("desired").path("digest").asText()).isEqualTo(v1.digest().value());
      assertThat(entry.path("running").path("digest").asText()).isEqualTo(v1.digest().value());
      assertThat(entry.path("running").path("health").asText()).isEqualTo("healthy");
      assertThat(entry.path("lastDeploy").path("outcome").asText()).isEqualTo("success");

      HttpResponse<String> healthz = get(address, "/healthz");
      assertThat(healthz.statusCode()).isEqualTo(200);
      assertThat(healthz.body()).startsWith("ok:");

      // A rejected record: a tag without a digest.
      host.aws.ssm().put(host.parameter(), host.env.repository() + ":v2");
      await(
          "the rejection counted",
          () ->
              value(
                      address,
                      "driftguard_desired_state_rejected_total{reason=\"tag_without_digest\",service=\""
                          + host.service
                          + "\"}")
                  == 1);
      assertThat(get(address, "/metrics").body()).doesNotContain("driftguard_desired_image_info{");
      JsonNode rejected = JSON.readTree(get(address, "/status").body()).path("services").get(0);
      assertThat(rejected.path("desired").path("state").asText()).isEqualTo("rejected");
      assertThat(rejected.path("inSync").asBoolean()).isFalse();

      // An AWS error: SSM refuses the next reads.
      host.aws.failNext(
          "ssm",
          "GetParameters",
          2,
          AwsFault.badRequest("AccessDeniedException", "not authorized to GetParameters"));
      await(
          "the AWS error counted",
          () ->
              value(
                      address,
                      "driftguard_aws_api_errors_total{aws_service=\"ssm\",code=\"AccessDeniedException\","
                          + "operation=\"GetParameters\"}")
                  >= 1);

      host.aws.ssm().put(host.parameter(), v1.toString());
      await(
          "back in sync",
          () -> value(address, "driftguard_in_sync{service=\"" + host.service + "\"}") == 1);
      String finalScrape = get(address, "/metrics").body();
      String finalStatus = get(address, "/status").body();
      Path saved =
          Path.of(System.getProperty("driftguard.jar", "target/driftguard.jar"))
              .resolveSibling("metrics-scrape.txt");
      Files.writeString(saved, finalScrape);

      agent.terminate();
      assertThat(agent.waitFor(Duration.ofSeconds(20))).as(host.log()).isIn(0, 143);

      String output = host.log();
      assertThat(output).as("the JSON log").contains("\"formattedMessage\"");
      assertJsonLines(output);
      String registryPassword = host.env.get("registry.password");
      for (String text : List.of(output, finalScrape, finalStatus)) {
        assertThat(text).doesNotContain(host.secret).doesNotContain(registryPassword);
      }
    }
  }

  // --- helpers

  /**
   * Every host.log line the agent wrote after start-up is one JSON object with the usual fields.
   */
  private static void assertJsonLines(String output) throws IOException {
    List<String> lines = Arrays.stream(output.split("\n")).filter(l -> l.startsWith("{")).toList();
    assertThat(lines).isNotEmpty();
    boolean sawContext = false;
    for (String line : lines) {
      JsonNode json = JSON.readTree(line);
      assertThat(json.path("level").asText()).isNotEmpty();
      assertThat(json.path("loggerName").asText()).startsWith("dev.driftguard.");
      sawContext |= json.path("formattedMessage").asText().contains("[service=");
    }
    assertThat(sawContext).as("bracketed context in the JSON messages").isTrue();
  }

  private String deploys(String outcome) {
    return "driftguard_deploys_total{outcome=\"" + outcome + "\",service=\"" + host.service + "\"}";
  }

  private String awaitAddress() throws Exception {
    Instant deadline = Instant.now().plus(WAIT);
    while (Instant.now().isBefore(deadline)) {
      // The JSON encoder escapes slashes.
      Matcher m = LISTENING.matcher(host.log().replace("\\/", "/"));
      if (m.find()) {
        return m.group(1);
      }
      Thread.sleep(100);
    }
    throw new AssertionError("the agent never said where it serves; log:\n" + host.log());
  }

  /** The value of the sample named exactly {@code series}, NaN when absent. */
  private static double value(String address, String series) throws Exception {
    Map<String, String> samples =
        Arrays.stream(get(address, "/metrics").body().split("\n"))
            .filter(l -> !l.startsWith("#") && !l.isBlank())
            .collect(
                Collectors.toMap(
                    l -> l.substring(0, l.lastIndexOf(' ')),
                    l -> l.substring(l.lastIndexOf(' ') + 1),
                    (a, b) -> b));
    String value = samples.get(series);
    return value == null ? Double.NaN : Double.parseDouble(value);
  }

  private void await(String what, Check check) throws Exception {
    Instant deadline = Instant.now().plus(WAIT);
    while (Instant.now().isBefore(deadline)) {
      if (check.holds()) {
        return;
      }
      Thread.sleep(250);
    }
    throw new AssertionError(what + ": not within " + WAIT + "; log:\n" + host.log());
  }

  private static HttpResponse<String> get(String address, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://" + address + path))
            .timeout(Duration.ofSeconds(5))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** A condition polled until it holds. */
  @FunctionalInterface
  private interface Check {
    boolean holds() throws Exception;
  }
}
