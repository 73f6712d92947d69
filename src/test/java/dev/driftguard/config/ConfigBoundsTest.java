package dev.driftguard.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.driftguard.model.ContainerSpec;
import dev.driftguard.model.DesiredSource;
import dev.driftguard.model.ServiceSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Upper bounds on durations, the self-report's settings, and tag values that would escape a path:
 * each rejected with the field's path and the bound.
 */
class ConfigBoundsTest {
  private static final Path BASE = Path.of("/etc/driftguard");

  private static final String MINIMAL =
      """
      services:
        - name: web
          desired:
            allowedRegistries: [registry.example.com]
      """;

  private static AgentConfig parse(String yaml, Map<String, String> tags) {
    return ConfigLoader.parse(yaml, "test.yaml", BASE, Map.of(), TagLookup.of(tags));
  }

  private static AgentConfig parse(String yaml) {
    return parse(yaml, Map.of("Name", "web_staging"));
  }

  private static List<String> errors(String yaml, Map<String, String> tags) {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> parse(yaml, tags));
    assertThat(e).as("expected the configuration to be rejected").isNotNull();
    return e.errors();
  }

  private static List<String> errors(String yaml) {
    return errors(yaml, Map.of("Name", "web_staging"));
  }

  private static String service(String sections) {
    return MINIMAL + sections.indent(4);
  }

  // --- durations ------------------------------------------------------------------------------

  @Test
  void load_stopTimeoutAboveWhatTheDockerClientWaits_isRejectedWithTheBound() {
    assertThat(errors(service("container: { stopTimeout: 5m }")))
        .containsExactly(
            "services[0].container.stopTimeout: 5m is above the maximum of 4m (the Docker client"
                + " waits 5m for the engine to answer a stop, which comes after the stop timeout"
                + " and then the kill)");
    assertThat(parse(service("container: { stopTimeout: 4m }")).services().get(0).container())
        .extracting(ContainerSpec::stopTimeout)
        .isEqualTo(Duration.ofMinutes(4));
  }

  @Test
  void dockerResponseTimeout_outlastsTheLongestStopAccepted() {
    assertThat(ContainerSpec.dockerResponseTimeout())
        .isGreaterThanOrEqualTo(ContainerSpec.MAX_STOP_TIMEOUT.plusSeconds(30));
  }

  @Test
  void load_healthDurationsAboveTheirBounds_reportEachPath() {
    assertThat(errors(service("health: { interval: 6m, timeout: 2m, deadline: 31m }")))
        .containsExactly(
            "services[0].health.interval: 6m is above the maximum of 5m (probes further apart"
                + " cannot tell a healthy container in time)",
            "services[0].health.timeout: 2m is above the maximum of 1m (a probe that needs longer"
                + " counts as failed)",
            "services[0].health.deadline: 31m is above the maximum of 30m (a stop-first host is out"
                + " of service and holds a fleet slot until then)");
  }

  @Test
  void load_healthTimeoutLongerThanInterval_isRejected() {
    assertThat(errors(service("health: { interval: 1s, timeout: 2s }")))
        .containsExactly(
            "services[0].health.timeout: 2s is longer than the interval (1s): a probe must end"
                + " before the next one is due");
    assertThat(parse(service("health: { interval: 1s, timeout: 1s }")).services()).hasSize(1);
  }

  @Test
  void load_trafficDurationsAboveTheirBounds_reportEachPath() {
    String traffic =
        """
        container: { ports: ["80:8080"] }
        traffic:
          targetGroupArn: arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef
          drainTimeout: 2h
          drainTimeoutCap: 61m
          healthyDeadline: 1h1s
        """;
    assertThat(errors(service(traffic)))
        .containsExactly(
            "services[0].traffic.drainTimeout: 2h is above the maximum of 1h (ELBv2's longest"
                + " deregistration delay; a draining host holds a fleet slot)",
            "services[0].traffic.drainTimeoutCap: 1h1m is above the maximum of 1h (ELBv2's"
                + " longest deregistration delay; a draining host holds a fleet slot)",
            "services[0].traffic.healthyDeadline: 1h1s is above the maximum of 1h (ELBv2 calls a"
                + " target healthy within 50 minutes at its slowest settings)");
  }

  @Test
  void load_pollIntervalAboveTenMinutes_isRejected() {
    assertThat(errors("agent: { pollInterval: 11m }\n" + MINIMAL))
        .containsExactly(
            "agent.pollInterval: 11m is above the maximum of 10m (a new pin waits up to one"
                + " interval)");
    assertThat(parse("agent: { pollInterval: 10m }\n" + MINIMAL).agent().pollInterval())
        .isEqualTo(Duration.ofMinutes(10));
  }

  // --- self-report ----------------------------------------------------------------------------

  @Test
  void load_selfReport_isOffUnlessWritten() {
    assertThat(parse(MINIMAL).agent().selfReportOn()).isFalse();
    AgentSettings on = parse("agent: { selfReport: { unhealthyAfter: 15m } }\n" + MINIMAL).agent();
    assertThat(on.selfReportOn()).isTrue();
    assertThat(on.selfReportAfter()).isEqualTo(Duration.ofMinutes(15));
  }

  @Test
  void load_selfReportOutOfBounds_orWithoutItsKey_isRejected() {
    assertThat(errors("agent: { selfReport: { unhealthyAfter: 30s } }\n" + MINIMAL))
        .containsExactly(
            "agent.selfReport.unhealthyAfter: must be at least 1m (shorter, a slow container start"
                + " would look like a dead host)");
    assertThat(errors("agent: { selfReport: { unhealthyAfter: 25h } }\n" + MINIMAL))
        .containsExactly(
            "agent.selfReport.unhealthyAfter: 25h is above the maximum of 24h (its group should"
                + " have replaced it long before)");
    assertThat(errors("agent: { selfReport: { after: 15m } }\n" + MINIMAL))
        .containsExactly(
            "agent.selfReport.after: unknown key (known: unhealthyAfter)",
            "agent.selfReport.unhealthyAfter: required to turn the self-report on (e.g. 15m);"
                + " leave selfReport out to keep it off");
  }

  @Test
  void load_selfReportNoLongerThanAFailedDeploy_isRejected() {
    String yaml =
        "agent: { selfReport: { unhealthyAfter: 20m } }\n"
            + service("container: { stopTimeout: 30s }\nhealth: { deadline: 10m }");

    assertThat(errors(yaml))
        .containsExactly(
            "agent.selfReport.unhealthyAfter: 20m is not longer than a failed deploy of"
                + " services[0] may leave it without a healthy container (stopTimeout 30s + 2 x"
                + " health.deadline 10m = 20m30s)");
    assertThat(parse(yaml.replace("20m", "21m")).agent().selfReportOn()).isTrue();
  }

  // --- tag values in paths --------------------------------------------------------------------

  private static final String PATHS =
      """
      agent:
        stateDir: "/var/lib/driftguard/${tag:App}"
      services:
        - name: web
          desired:
            ssmParameter: "/driftguard/${tag:App}/image"
            allowedRegistries: [registry.example.com]
          container:
            env: { APP: "${tag:App}" }
            envFromSsm: { DATABASE_URL: "/${tag:App}/database_url" }
            volumes: ["/srv/${tag:App}/shared:/app/shared:ro"]
        - name: api
          desired:
            file: "./desired/${tag:App}"
      """;

  @Test
  void load_tagValueThatIsOnePathSegment_goesIntoEveryPath() {
    AgentConfig config = parse(PATHS, Map.of("App", "web_staging.v2"));

    assertThat(config.agent().stateDir()).isEqualTo(Path.of("/var/lib/driftguard/web_staging.v2"));
    ServiceSpec web = config.services().get(0);
    assertThat(web.desired()).isEqualTo(new DesiredSource.Ssm("/driftguard/web_staging.v2/image"));
    assertThat(web.container().envFromSsm())
        .containsEntry("DATABASE_URL", "/web_staging.v2/database_url");
    assertThat(web.container().volumes())
        .containsExactly("/srv/web_staging.v2/shared:/app/shared:ro");
    assertThat(config.services().get(1).desired())
        .isEqualTo(new DesiredSource.File(BASE.resolve("desired/web_staging.v2")));
  }

  @Test
  void load_tagValueThatWouldEscapeAPath_isRejectedAtEveryPathField_butNotInEnv() {
    List<String> errors = errors(PATHS, Map.of("App", "../../etc"));

    assertThat(errors)
        .hasSize(5)
        .allSatisfy(
            e ->
                assertThat(e)
                    .contains(": instance tag 'App' is '../../etc', which cannot go into a path:")
                    .contains("one path segment"));
    assertThat(errors.stream().map(e -> e.substring(0, e.indexOf(':'))))
        .containsExactly(
            "agent.stateDir",
            "services[0].desired.ssmParameter",
            "services[0].container.envFromSsm.DATABASE_URL",
            "services[0].container.volumes[0]",
            "services[1].desired.file")
        .doesNotContain("services[0].container.env.APP");
  }

  @Test
  void load_eachKindOfEscape_isNamed() {
    Map<String, String> cases =
        Map.of(
            "..", "'..' climbs out of the folder it is written in",
            ".", "'.' is the folder itself, not a name",
            "a/b", "it contains a path separator '/'",
            "a\\b", "it contains a path separator '\\'",
            "x:/etc:rw", "it contains ':', which separates the fields of a volume",
            "x:y", "it contains ':', which separates the fields of a volume",
            "a\u0000b", "it contains a NUL character",
            "a\nb", "it contains a control character");
    cases.forEach(
        (value, why) ->
            assertThat(
                    errors(
                        service("container: { volumes: [\"/srv/${tag:App}:/app\"] }"),
                        Map.of("App", value)))
                .as(value)
                .singleElement()
                .asString()
                .startsWith("services[0].container.volumes[0]: instance tag 'App' is '")
                .contains("which cannot go into a path: " + why));
  }

  @Test
  void load_escapeInErrorMessage_showsControlCharactersEscaped() {
    assertThat(
            errors(
                service("container: { volumes: [\"/srv/${tag:App}:/app\"] }"),
                Map.of("App", "a\u0000b")))
        .singleElement()
        .asString()
        .contains("'a\\u0000b'")
        .doesNotContain("\u0000");
  }

  @Test
  void validate_tagPlaceholdersInPaths_passWithStandIns() throws Exception {
    Path file = java.nio.file.Files.createTempFile("driftguard", ".yaml");
    try {
      java.nio.file.Files.writeString(file, PATHS);
      assertThat(ConfigLoader.validate(file, Map.of())).isEmpty();
    } finally {
      java.nio.file.Files.delete(file);
    }
  }
}
