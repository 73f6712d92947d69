package dev.driftguard.testing.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.driftguard.cli.AwsClients;
import dev.driftguard.testing.FakeTime;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.imds.Ec2MetadataClientException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import software.amazon.awssdk.services.ecr.model.EcrException;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.ElasticLoadBalancingV2Exception;
import software.amazon.awssdk.services.ssm.model.SsmException;

/**
 * Injected faults reach the agent's real SDK clients (configured as the agent configures them:
 * standard retries, 3 attempts) exactly as AWS's own would: the throttling codes make {@code
 * isThrottlingException()} true, 5xx are retried, every attempt is counted, latency delays the
 * answer, and count, rate and time-window selections pick the calls they say.
 */
class LocalAwsFaultsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String INSTANCE = "i-0fa0170000000000a";

  private final FakeTime clock = new FakeTime(Instant.parse("2030-01-01T00:00:00Z"));
  private LocalAws aws;
  private AwsClients clients;
  private String groupArn;

  @BeforeEach
  void start() {
    aws = LocalAws.builder().clock(clock).start();
    aws.addInstance(INSTANCE, Map.of("Name", "web"));
    aws.ssm().put("/a", "1");
    groupArn =
        aws.createTargetGroup("faults", "/", 2, 2, Duration.ofSeconds(30), Duration.ofMillis(100));
    clients = aws.newClients(INSTANCE);
  }

  @AfterEach
  void stop() {
    clients.close();
    aws.close();
  }

  // ------------------------------------------------------------- throttling, per service

  @Test
  void throttle_ssm_isThrottlingException_retriedUntilTheSdkGivesUp() {
    FaultRule rule = aws.inject(FaultRule.throttle("ssm", "GetParameters"));

    assertThatThrownBy(() -> clients.ssm().getParameters(b -> b.names("/a")))
        .isInstanceOfSatisfying(
            SsmException.class, e -> assertAws(e, 400, "ThrottlingException", true));
    assertThat(aws.calls("ssm", "GetParameters")).as("standard retries: 3 attempts").isEqualTo(3);
    assertThat(rule.hits()).isEqualTo(3);
  }

  @Test
  void throttle_elbv2_isThrottling() {
    aws.inject(FaultRule.throttle("elbv2", "DescribeTargetHealth"));

    assertThatThrownBy(() -> clients.elbv2().describeTargetHealth(b -> b.targetGroupArn(groupArn)))
        .isInstanceOfSatisfying(
            ElasticLoadBalancingV2Exception.class, e -> assertAws(e, 400, "Throttling", true));
    assertThat(aws.calls("elbv2", "DescribeTargetHealth")).isEqualTo(3);
  }

  @Test
  void throttle_ec2_isRequestLimitExceeded() {
    aws.inject(FaultRule.throttle("ec2", "DescribeInstances"));

    assertThatThrownBy(() -> clients.ec2().describeInstances(b -> b.instanceIds(INSTANCE)))
        .isInstanceOfSatisfying(
            Ec2Exception.class, e -> assertAws(e, 503, "RequestLimitExceeded", true));
    assertThat(aws.calls("ec2", "DescribeInstances")).isEqualTo(3);
  }

  @Test
  void throttle_ecr_isThrottlingException() {
    aws.inject(FaultRule.throttle("ecr", "GetAuthorizationToken"));

    assertThatThrownBy(() -> clients.ecr().getAuthorizationToken(b -> {}))
        .isInstanceOfSatisfying(
            EcrException.class, e -> assertAws(e, 400, "ThrottlingException", true));
    assertThat(aws.calls("ecr", "GetAuthorizationToken")).isEqualTo(3);
  }

  @Test
  void throttleNext_usesEachServicesOwnCode() {
    aws.throttleNext("ec2", "DescribeInstances", 1);
    aws.throttleNext("elbv2", "DescribeTargetHealth", 1);

    // One throttled attempt, then the retry is served.
    clients.ec2().describeInstances(b -> b.instanceIds(INSTANCE));
    clients.elbv2().describeTargetHealth(b -> b.targetGroupArn(groupArn));
    assertThat(aws.calls("ec2", "DescribeInstances")).isEqualTo(2);
    assertThat(aws.calls("elbv2", "DescribeTargetHealth")).isEqualTo(2);
    assertThat(aws.faults().values())
        .extracting(r -> ((FaultRule.Error) r.effect()).fault().code())
        .containsExactly("RequestLimitExceeded", "Throttling");
  }

  // ------------------------------------------------------------- 5xx

  @Test
  void unavailable_isA503_retried_andNotThrottling() {
    aws.inject(FaultRule.unavailable("ssm", "*").times(2));
    aws.inject(FaultRule.unavailable("elbv2", "*"));
    aws.inject(FaultRule.unavailable("ec2", "*"));

    // Two 503s, then served: retries absorb a short outage.
    assertThat(clients.ssm().getParameters(b -> b.names("/a")).parameters()).hasSize(1);
    assertThat(aws.calls("ssm", "GetParameters")).isEqualTo(3);
    assertThatThrownBy(() -> clients.elbv2().describeTargetHealth(b -> b.targetGroupArn(groupArn)))
        .isInstanceOfSatisfying(
            ElasticLoadBalancingV2Exception.class,
            e -> assertAws(e, 503, "ServiceUnavailable", false));
    assertThatThrownBy(() -> clients.ec2().describeTags(b -> {}))
        .isInstanceOfSatisfying(Ec2Exception.class, e -> assertAws(e, 503, "Unavailable", false));
    assertThat(aws.calls("elbv2", "DescribeTargetHealth")).isEqualTo(3);
    assertThat(aws.calls("ec2", "DescribeTags")).isEqualTo(3);
  }

  @Test
  void internalError_isA500_withEachServicesModelledCode() {
    aws.inject(FaultRule.internalError("ssm", "*"));
    aws.inject(FaultRule.internalError("elbv2", "*"));
    aws.inject(FaultRule.internalError("ec2", "*"));
    aws.inject(FaultRule.internalError("ecr", "*"));

    assertThatThrownBy(() -> clients.ssm().getParameters(b -> b.names("/a")))
        .isInstanceOfSatisfying(
            SsmException.class, e -> assertAws(e, 500, "InternalServerError", false));
    assertThatThrownBy(() -> clients.elbv2().describeTargetHealth(b -> b.targetGroupArn(groupArn)))
        .isInstanceOfSatisfying(
            ElasticLoadBalancingV2Exception.class,
            e -> assertAws(e, 500, "InternalFailure", false));
    assertThatThrownBy(() -> clients.ec2().describeTags(b -> {}))
        .isInstanceOfSatisfying(Ec2Exception.class, e -> assertAws(e, 500, "InternalError", false));
    assertThatThrownBy(() -> clients.ecr().getAuthorizationToken(b -> {}))
        .isInstanceOfSatisfying(
            EcrException.class, e -> assertAws(e, 500, "ServerException", false));
    assertThat(aws.calls("ssm", "GetParameters")).isEqualTo(3);
  }

  // ------------------------------------------------------------- latency

  @Test
  void latency_delaysTheRealAnswer() {
    aws.inject(FaultRule.latency("ssm", "GetParameters", Duration.ofMillis(400)).times(1));

    long start = System.nanoTime();
    assertThat(clients.ssm().getParameters(b -> b.names("/a")).parameters()).hasSize(1);
    assertThat(Duration.ofNanos(System.nanoTime() - start))
        .isGreaterThanOrEqualTo(Duration.ofMillis(400));
    assertThat(aws.calls("ssm", "GetParameters")).as("served, not retried").isEqualTo(1);
  }

  @Test
  void latency_beyondTheAttemptTimeout_timesOutEachAttempt() {
    aws.inject(FaultRule.latency("ssm", "*", Duration.ofSeconds(2)));
    try (AwsClients impatient =
        AwsClients.builder()
            .region(Region.US_EAST_1)
            .endpoints(aws.endpoints())
            .credentialsProvider(LocalAws.credentials())
            .apiCallAttemptTimeout(Duration.ofMillis(300))
            .apiCallTimeout(Duration.ofSeconds(10))
            .build()) {
      assertThatThrownBy(() -> impatient.ssm().getParameters(b -> b.names("/a")))
          .isInstanceOfAny(ApiCallAttemptTimeoutException.class, SdkClientException.class);
    }
  }

  // ------------------------------------------------------------- selection

  @Test
  void count_afterServed_failsExactlyTheCallsItSays() {
    aws.inject(
        FaultRule.error("ssm", "GetParameters", AwsFault.badRequest("AccessDeniedException", "no"))
            .after(1)
            .times(2));

    List<String> outcomes = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      outcomes.add(outcome(() -> clients.ssm().getParameters(b -> b.names("/a"))));
    }
    // AccessDenied is not retried, so every SDK call is one attempt.
    assertThat(outcomes)
        .containsExactly("ok", "AccessDeniedException", "AccessDeniedException", "ok");
  }

  @Test
  void rate_isSeeded_soTheSameCallsFailInEveryRun() {
    List<String> first = rateRun(7);
    List<String> again = rateRun(7);
    List<String> otherSeed = rateRun(8);

    assertThat(first).isEqualTo(again);
    assertThat(otherSeed).isNotEqualTo(first);
    long failed = first.stream().filter(o -> !o.equals("ok")).count();
    assertThat(failed).as("about half of 40 calls: " + first).isBetween(10L, 30L);
  }

  private List<String> rateRun(long seed) {
    try (LocalAws local = LocalAws.builder().start();
        AwsClients c = local.newClients()) {
      local.ssm().put("/a", "1");
      local.inject(
          FaultRule.error(
                  "ssm", "GetParameters", AwsFault.badRequest("AccessDeniedException", "no"))
              .rate(0.5, seed));
      List<String> outcomes = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        outcomes.add(outcome(() -> c.ssm().getParameters(b -> b.names("/a"))));
      }
      return outcomes;
    }
  }

  @Test
  void window_failsOnlyTheCallsArrivingInIt() {
    aws.inject(
        FaultRule.error("ssm", "*", AwsFault.badRequest("AccessDeniedException", "no"))
            .forNext(Duration.ofSeconds(10)));

    String during = outcome(() -> clients.ssm().getParameters(b -> b.names("/a")));
    clock.advance(Duration.ofSeconds(10));
    String after = outcome(() -> clients.ssm().getParameters(b -> b.names("/a")));

    assertThat(during).isEqualTo("AccessDeniedException");
    assertThat(after).isEqualTo("ok");
  }

  @Test
  void between_startsAndEndsAtTheGivenInstants() {
    Instant now = clock.instant();
    aws.inject(FaultRule.throttle("ec2", "*").between(now.plusSeconds(5), now.plusSeconds(6)));

    String before = outcome(() -> clients.ec2().describeTags(b -> {}));
    clock.advance(Duration.ofSeconds(5));
    String during = outcome(() -> clients.ec2().describeTags(b -> {}));

    assertThat(before).isEqualTo("ok");
    assertThat(during).isEqualTo("RequestLimitExceeded");
  }

  @Test
  void latencyAndErrorRules_combine_aSteadyLatencyDoesNotHideAnOutage() {
    aws.inject(FaultRule.latency("ssm", "*", Duration.ofMillis(100)));
    aws.inject(
        FaultRule.error("ssm", "*", AwsFault.badRequest("AccessDeniedException", "no")).times(1));

    long start = System.nanoTime();
    String first = outcome(() -> clients.ssm().getParameters(b -> b.names("/a")));
    String second = outcome(() -> clients.ssm().getParameters(b -> b.names("/a")));

    assertThat(first).isEqualTo("AccessDeniedException");
    assertThat(second).isEqualTo("ok");
    assertThat(Duration.ofNanos(System.nanoTime() - start))
        .isGreaterThanOrEqualTo(Duration.ofMillis(200));
  }

  @Test
  void firstErrorRuleThatSelects_decides() {
    aws.inject(FaultRule.throttle("ssm", "GetParameters").times(1));
    aws.inject(FaultRule.internalError("ssm", "*").times(1));

    // Attempt 1 throttled (rule 1), attempt 2 a 500 (rule 2, rule 1 is spent), attempt 3 served.
    clients.ssm().getParameters(b -> b.names("/a"));
    assertThat(aws.faults().values()).extracting(FaultRule::hits).containsExactly(1, 1);
  }

  // ------------------------------------------------------------- IMDS

  @Test
  void imds_throttled_answers429_whichTheSdkDoesNotRetry() {
    FaultRule rule = aws.inject(FaultRule.throttle("imds", "meta-data/instance-id").times(1));

    assertThatThrownBy(() -> clients.imds().get("/latest/meta-data/instance-id"))
        .isInstanceOfSatisfying(
            Ec2MetadataClientException.class, e -> assertThat(e.statusCode()).isEqualTo(429));
    assertThat(rule.hits()).isEqualTo(1);
    assertThat(clients.imds().get("/latest/meta-data/instance-id").asString()).isEqualTo(INSTANCE);
  }

  @Test
  void imds_unavailableOnce_isRetriedByTheSdk() {
    FaultRule rule = aws.inject(FaultRule.unavailable("imds", "meta-data/instance-id").times(1));

    assertThat(clients.imds().get("/latest/meta-data/instance-id").asString()).isEqualTo(INSTANCE);
    assertThat(rule.hits()).isEqualTo(1);
  }

  @Test
  void imds_tokenDown_failsTheSdkCall() {
    aws.inject(FaultRule.unavailable("imds", "token"));

    assertThatThrownBy(() -> clients.imds().get("/latest/meta-data/instance-id"))
        .isInstanceOf(SdkClientException.class);
  }

  // ------------------------------------------------------------- control API

  @Test
  void controlApi_installsListsAndRemovesFaults() throws Exception {
    JsonNode added =
        control("POST", "faults?service=ec2&operation=DescribeTags&kind=throttle&count=5");
    control("POST", "faults?service=ssm&operation=*&kind=latency&latencyMillis=10&rate=0.5&seed=3");
    control("POST", "faults?service=elbv2&kind=unavailable&forMillis=60000");
    // The older form: a code alone.
    control("POST", "faults?service=ecr&code=AccessDeniedException&count=1");

    assertThat(outcome(() -> clients.ec2().describeTags(b -> {})))
        .isEqualTo("RequestLimitExceeded");
    JsonNode listed = control("GET", "faults");
    assertThat(listed.get("faults")).hasSize(4);
    assertThat(listed.get("faults").get(0).get("id").asInt()).isEqualTo(added.get("id").asInt());
    assertThat(listed.get("faults").get(0).get("hits").asInt()).isEqualTo(3);
    assertThat(listed.get("faults").get(2).get("rule").asText()).contains("503 ServiceUnavailable");

    control("DELETE", "faults?id=" + added.get("id").asInt());
    assertThat(outcome(() -> clients.ec2().describeTags(b -> {}))).isEqualTo("ok");
    control("DELETE", "faults");
    assertThat(control("GET", "faults").get("faults")).isEmpty();
  }

  @Test
  void controlApi_rejectsAnUnknownKind() throws Exception {
    HttpResponse<String> r = send("POST", "faults?service=ssm&kind=flaky");
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).contains("kind must be");
  }

  // ------------------------------------------------------------- helpers

  private static void assertAws(
      AwsServiceException e, int status, String code, boolean throttling) {
    assertThat(e.statusCode()).isEqualTo(status);
    assertThat(e.awsErrorDetails().errorCode()).isEqualTo(code);
    assertThat(e.isThrottlingException()).as("isThrottlingException").isEqualTo(throttling);
  }

  private static String outcome(Runnable call) {
    try {
      call.run();
      return "ok";
    } catch (AwsServiceException e) {
      return e.awsErrorDetails().errorCode();
    }
  }

  private JsonNode control(String method, String path) throws Exception {
    HttpResponse<String> r = send(method, path);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  private HttpResponse<String> send(String method, String path) throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(aws.endpoint() + "/_localaws/" + path))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .build();
    return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
  }
}
