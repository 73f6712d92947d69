package dev.driftguard.testing.aws;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.driftguard.cli.AwsClients;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.imds.Ec2MetadataClient;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetDescription;

/**
 * Pins the control API under {@code /_localaws/} that an end-to-end driver in another process uses
 * (the same HTTP server as the AWS services, so in-process here).
 */
class LocalAwsControlApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();
  private LocalAws aws;
  private TestTarget app;

  @BeforeEach
  void start() throws Exception {
    aws = LocalAws.builder().start();
    app = new TestTarget("app");
  }

  @AfterEach
  void stop() {
    app.close();
    aws.close();
  }

  @Test
  void driver_setsUpAFleet_andReadsTheTimeline() throws Exception {
    String id =
        post("instances?id=i-0123456789abcdef0&tag.Name=web_staging").get("instanceId").asText();
    JsonNode group =
        post(
            "target-groups?name=web&path=/healthz&healthyThreshold=2&unhealthyThreshold=2"
                + "&intervalMillis=200&deregistrationDelayMillis=300");
    String arn = group.get("arn").asText();
    int proxyPort = group.get("proxyPort").asInt();
    int imdsPort = post("imds?instanceId=" + id).get("port").asInt();
    post("spot-notice?instanceId=" + id + "&action=terminate&time=2030-01-01T00:02:00Z");
    post("lifecycle-state?instanceId=" + id + "&state=Terminated");
    assertThat(
            post("ssm-parameters?name=/driftguard/web_staging/image&value=x")
                .get("version")
                .asLong())
        .isEqualTo(1);
    post("ecr-images?repository=driftguard-test/web&tag=v2&digest=sha256:" + "2".repeat(64));

    try (AwsClients clients = aws.newClients();
        Ec2MetadataClient imds =
            Ec2MetadataClient.builder()
                .endpoint(URI.create("http://127.0.0.1:" + imdsPort))
                .build()) {
      clients
          .elbv2()
          .registerTargets(
              b ->
                  b.targetGroupArn(arn)
                      .targets(TargetDescription.builder().id(id).port(app.port()).build()));
      assertThat(imds.get("/latest/meta-data/tags/instance/Name").asString())
          .isEqualTo("web_staging");
      assertThat(imds.get("/latest/meta-data/spot/instance-action").asString())
          .contains("terminate");
      assertThat(imds.get("/latest/meta-data/autoscaling/target-lifecycle-state").asString())
          .isEqualTo("Terminated");
    }
    assertThat(
            Await.until(
                Duration.ofSeconds(10),
                () ->
                    get("target-health?arn=" + enc(arn))
                        .get("targets")
                        .get(0)
                        .get("state")
                        .asText()
                        .equals("healthy")))
        .isTrue();
    assertThat(get("proxy-port?arn=" + enc(arn)).get("proxyPort").asInt()).isEqualTo(proxyPort);
    HttpResponse<String> viaProxy =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxyPort + "/")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(viaProxy.body()).isEqualTo("app");

    JsonNode timeline = get("timeline?arn=" + enc(arn));
    assertThat(timeline.get("changes")).hasSize(2);
    assertThat(timeline.get("changes").get(1).get("to").asText()).isEqualTo("healthy");
    assertThat(timeline.get("changes").get(1).get("instanceId").asText()).isEqualTo(id);
    assertThat(timeline.get("maxHostsOutOfService").asInt()).isZero();
    assertThat(aws.ssm().value("/driftguard/web_staging/image")).contains("x");
    assertThat(aws.ecr().digestOf("driftguard-test/web", "v2")).isPresent();
    assertThat(get("instances").get("instances").get(0).get("tags").get("Name").asText())
        .isEqualTo("web_staging");
  }

  @Test
  void badRequests_are400WithAReason() throws Exception {
    HttpResponse<String> noName = send("POST", "target-groups?path=/");
    HttpResponse<String> badId = send("POST", "instances?id=web1");
    HttpResponse<String> getOnly = send("GET", "imds?instanceId=i-00000000");

    assertThat(noName.statusCode()).isEqualTo(400);
    assertThat(noName.body()).contains("name");
    assertThat(badId.statusCode()).isEqualTo(400);
    assertThat(badId.body()).contains("instance id");
    assertThat(getOnly.statusCode()).isEqualTo(400);
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private JsonNode post(String pathAndQuery) throws Exception {
    HttpResponse<String> r = send("POST", pathAndQuery);
    assertThat(r.statusCode()).as("%s: %s", pathAndQuery, r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  private JsonNode get(String pathAndQuery) {
    try {
      HttpResponse<String> r = send("GET", pathAndQuery);
      assertThat(r.statusCode()).as("%s: %s", pathAndQuery, r.body()).isEqualTo(200);
      return JSON.readTree(r.body());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private HttpResponse<String> send(String method, String pathAndQuery) throws Exception {
    return http.send(
        HttpRequest.newBuilder(aws.endpoint().resolve("/_localaws/" + pathAndQuery))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .timeout(Duration.ofSeconds(10))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
