package dev.driftguard.testing.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftguard.cli.AwsClients;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.document.Document;
import software.amazon.awssdk.imds.Ec2MetadataClient;
import software.amazon.awssdk.imds.Ec2MetadataClientException;

/**
 * Pins the IMDSv2 behaviours of {@link LocalAws}: one server per instance, the token rules (and the
 * TTL header the SDK needs), identity, tags, and the notices a test sets; through the SDK's {@code
 * Ec2MetadataClient} and raw HTTP.
 */
class LocalAwsImdsTest {
  private static final String ID = "i-0a1b2c3d4e5f60718";

  private final HttpClient http = HttpClient.newHttpClient();
  private LocalAws aws;
  private Ec2MetadataClient imds;

  @BeforeEach
  void start() {
    aws = LocalAws.builder().start();
    Map<String, String> tags = new LinkedHashMap<>();
    tags.put("Name", "web_staging");
    tags.put("team", "payments");
    aws.addInstance(ID, tags);
    imds = Ec2MetadataClient.builder().endpoint(aws.imds(ID).endpoint()).build();
  }

  @AfterEach
  void stop() {
    imds.close();
    aws.close();
  }

  @Test
  void sdkClient_readsIdentityPlacementAndTags() {
    assertThat(imds.get("/latest/meta-data/instance-id").asString()).isEqualTo(ID);
    assertThat(imds.get("/latest/meta-data/placement/region").asString()).isEqualTo("us-east-1");
    assertThat(imds.get("/latest/meta-data/placement/availability-zone").asString())
        .isEqualTo("us-east-1a");
    assertThat(imds.get("/latest/meta-data/tags/instance").asList())
        .containsExactly("Name", "team");
    assertThat(imds.get("/latest/meta-data/tags/instance/Name").asString())
        .isEqualTo("web_staging");
    Document doc = imds.get("/latest/dynamic/instance-identity/document").asDocument();
    assertThat(doc.asMap().get("instanceId").asString()).isEqualTo(ID);
    assertThat(doc.asMap().get("region").asString()).isEqualTo("us-east-1");
    assertThat(doc.asMap().get("availabilityZone").asString()).isEqualTo("us-east-1a");
    assertThat(doc.asMap().get("accountId").asString()).isEqualTo("123456789012");
  }

  @Test
  void tags_followCreateTags_andAre404WhenMetadataTagsAreOff() {
    aws.ec2().putTags(ID, Map.of("driftguard:phase", "DRAIN"));
    assertThat(imds.get("/latest/meta-data/tags/instance").asList()).contains("driftguard:phase");

    aws.imds(ID).instanceMetadataTags(false);

    assertThatThrownBy(() -> imds.get("/latest/meta-data/tags/instance/Name"))
        .isInstanceOfSatisfying(
            Ec2MetadataClientException.class, e -> assertThat(e.statusCode()).isEqualTo(404));
    assertThatThrownBy(() -> imds.get("/latest/meta-data/tags/instance"))
        .isInstanceOfSatisfying(
            Ec2MetadataClientException.class, e -> assertThat(e.statusCode()).isEqualTo(404));
  }

  @Test
  void spotNotice_is404UntilSet_thenJson() {
    assertThatThrownBy(() -> imds.get("/latest/meta-data/spot/instance-action"))
        .isInstanceOfSatisfying(
            Ec2MetadataClientException.class, e -> assertThat(e.statusCode()).isEqualTo(404));

    aws.imds(ID).spotInterruption("terminate", Instant.parse("2030-01-01T00:02:00Z"));

    Document notice = imds.get("/latest/meta-data/spot/instance-action").asDocument();
    assertThat(notice.asMap().get("action").asString()).isEqualTo("terminate");
    assertThat(notice.asMap().get("time").asString()).isEqualTo("2030-01-01T00:02:00Z");
  }

  @Test
  void autoScalingLifecycleState_isInServiceUntilChanged() {
    String path = "/latest/meta-data/autoscaling/target-lifecycle-state";
    assertThat(imds.get(path).asString()).isEqualTo("InService");

    aws.imds(ID).targetLifecycleState("Terminated");

    assertThat(imds.get(path).asString()).isEqualTo("Terminated");
  }

  @Test
  void token_isRequired_carriesTheTtlHeader_andExpires() throws Exception {
    URI base = aws.imds(ID).endpoint();
    HttpResponse<String> noToken =
        http.send(
            HttpRequest.newBuilder(base.resolve("/latest/meta-data/instance-id")).build(),
            HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> noTtl = putToken(base, null);
    HttpResponse<String> tooLong = putToken(base, "21601");
    HttpResponse<String> token = putToken(base, "1");

    assertThat(noToken.statusCode()).isEqualTo(401);
    assertThat(noTtl.statusCode()).isEqualTo(400);
    assertThat(tooLong.statusCode()).isEqualTo(400);
    assertThat(token.statusCode()).isEqualTo(200);
    assertThat(token.headers().firstValue("x-aws-ec2-metadata-token-ttl-seconds")).contains("1");
    assertThat(getWithToken(base, token.body()).statusCode()).isEqualTo(200);
    assertThat(getWithToken(base, "forged").statusCode()).isEqualTo(401);

    Thread.sleep(1100);

    assertThat(getWithToken(base, token.body()).statusCode()).isEqualTo(401);
  }

  @Test
  void everyInstance_hasItsOwnServer() {
    String other = Ec2Service.newInstanceId();
    aws.addInstance(other, Map.of());

    assertThat(aws.imds(other).port()).isNotEqualTo(aws.imds(ID).port());
    assertThat(aws.imds(ID)).isSameAs(aws.imds(ID));
    try (AwsClients clients = aws.newClients(other)) {
      assertThat(clients.imds().get("/latest/meta-data/instance-id").asString()).isEqualTo(other);
    }
    assertThatThrownBy(() -> aws.imds("i-99999999")).isInstanceOf(IllegalArgumentException.class);
  }

  private HttpResponse<String> putToken(URI base, String ttl) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(base.resolve("/latest/api/token"))
            .timeout(Duration.ofSeconds(5))
            .PUT(HttpRequest.BodyPublishers.noBody());
    if (ttl != null) {
      b.header("X-aws-ec2-metadata-token-ttl-seconds", ttl);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> getWithToken(URI base, String token) throws Exception {
    return http.send(
        HttpRequest.newBuilder(base.resolve("/latest/meta-data/instance-id"))
            .header("X-aws-ec2-metadata-token", token)
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
