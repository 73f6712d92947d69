package dev.driftguard.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.driftguard.model.DesiredSource;
import dev.driftguard.model.HealthSpec;
import dev.driftguard.model.PortBinding;
import dev.driftguard.model.RolloutSpec;
import dev.driftguard.model.ServiceSpec;
import dev.driftguard.model.TrafficSpec;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  private static final Path BASE = Path.of("/etc/driftguard");
  private static final TagLookup TAGS = TagLookup.of(Map.of("Name", "web_staging"));
  private static final String REGISTRY = "123456789012.dkr.ecr.us-east-1.amazonaws.com";

  /** A valid service with only the required keys, for tests that vary one section. */
  private static final String MINIMAL =
      """
      services:
        - name: web
          desired:
            allowedRegistries: [registry.example.com]
      """;

  @TempDir Path tmp;

  private static AgentConfig parse(String yaml) {
    return ConfigLoader.parse(yaml, "test.yaml", BASE, Map.of(), TAGS);
  }

  private static List<String> errors(String yaml) {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> parse(yaml));
    assertThat(e).as("expected the configuration to be rejected").isNotNull();
    return e.errors();
  }

  /** One service with {@code sections} (indented as a service's keys) after name and desired. */
  private static String service(String sections) {
    return MINIMAL + sections.indent(4);
  }

  private static Path resource(String name) throws URISyntaxException {
    return Path.of(ConfigLoaderTest.class.getResource("/config/" + name).toURI());
  }

  // --- whole files -------------------------------------------------------------------------

  @Test
  void load_designExample_buildsEveryRecord() throws Exception {
    AgentConfig config = ConfigLoader.load(resource("design-example.yaml"), Map.of(), TAGS);

    AgentSettings agent = config.agent();
    assertThat(agent.pollInterval()).isEqualTo(Duration.ofSeconds(15));
    assertThat(agent.metricsListen()).isEqualTo(new ListenAddress("0.0.0.0", 10027));
    assertThat(agent.statusListen()).isEqualTo(new ListenAddress("127.0.0.1", 9274));
    assertThat(agent.stateDir()).isEqualTo(Path.of("/var/lib/driftguard"));
    assertThat(agent.dockerHost()).isEqualTo(URI.create("unix:///var/run/docker.sock"));
    assertThat(agent.aws().regionOverride()).isEmpty();
    assertThat(agent.aws().instanceIdOverride()).isEmpty();
    assertThat(agent.aws().endpoint("ssm")).isEmpty();

    assertThat(config.services()).hasSize(1);
    ServiceSpec web = config.services().get(0);
    assertThat(web.name()).isEqualTo("web_staging");
    assertThat(web.desired()).isEqualTo(new DesiredSource.Ssm("/driftguard/web_staging/image"));
    assertThat(web.allowedRegistries()).containsExactly(REGISTRY);
    assertThat(web.container().ports()).containsExactly(new PortBinding("", 80, 8080, "tcp"));
    assertThat(web.container().env()).containsExactly(Map.entry("RAILS_ENV", "staging"));
    assertThat(web.container().envFromSsm())
        .containsExactly(Map.entry("DATABASE_URL", "/web_staging/database_url"));
    assertThat(web.container().volumes()).containsExactly("/srv/web/shared:/app/shared:ro");
    assertThat(web.container().command()).isEmpty();
    assertThat(web.container().stopSignal()).isEqualTo("SIGTERM");
    assertThat(web.container().stopTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(web.container().memoryBytes()).isEqualTo(512L * 1024 * 1024);
    assertThat(web.health())
        .isEqualTo(
            new HealthSpec(
                HealthSpec.Type.HTTP,
                8080,
                "/healthz",
                Duration.ofSeconds(2),
                Duration.ofSeconds(1),
                2,
                Duration.ofSeconds(120)));
    TrafficSpec traffic = web.trafficSpec().orElseThrow();
    assertThat(traffic.targetGroupArn().value())
        .isEqualTo(
            "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-staging/73e2d6bc24d8a067");
    assertThat(traffic.port()).isEqualTo(80);
    assertThat(traffic.drainTimeout()).as("auto").isNull();
    assertThat(traffic.drainTimeoutCap()).isEqualTo(Duration.ofSeconds(300));
    assertThat(traffic.healthyDeadline()).isEqualTo(Duration.ofSeconds(300));
    assertThat(web.rollout()).isEqualTo(RolloutSpec.stopFirst());
  }

  @Test
  void load_fullExample_readsEveryKey() throws Exception {
    Path file = resource("full.yaml");
    AgentConfig config = ConfigLoader.load(file, Map.of(), TagLookup.none());

    AgentSettings agent = config.agent();
    assertThat(agent.pollInterval()).isEqualTo(Duration.ofSeconds(90));
    assertThat(agent.metricsListen()).isEqualTo(new ListenAddress("127.0.0.1", 19273));
    assertThat(agent.statusListen()).isEqualTo(new ListenAddress("::1", 19274));
    assertThat(agent.stateDir()).isEqualTo(file.getParent().resolve("state"));
    assertThat(agent.dockerHost()).isEqualTo(URI.create("tcp://127.0.0.1:2375"));
    assertThat(agent.aws().regionOverride()).contains("eu-west-1");
    assertThat(agent.aws().instanceIdOverride()).contains("i-0123456789abcdef0");
    assertThat(agent.aws().endpoint("imds")).contains(URI.create("http://127.0.0.1:1338"));
    assertThat(agent.aws().endpoints()).hasSize(6);
    assertThat(agent.logFormat()).isEqualTo(LogFormat.JSON);
    assertThat(agent.imagesToKeep()).isEqualTo(5);
    assertThat(agent.fleet())
        .isEqualTo(
            new FleetSettings(
                "web-leases", Duration.ofSeconds(45), 100, java.util.OptionalInt.of(12), 6));
    assertThat(agent.registryLogin("REGISTRY.example.com:5000"))
        .contains(
            new RegistryLogin(
                "registry.example.com:5000",
                "deploy",
                Path.of("/etc/driftguard/registry.password")));
    assertThat(agent.registryLogin("other.example.com")).isEmpty();

    ServiceSpec web = config.service("web_staging").orElseThrow();
    assertThat(web.desired()).isEqualTo(new DesiredSource.Ssm("/apps/web_staging/image"));
    assertThat(web.container().env()).containsEntry("WEB_CONCURRENCY", "4");
    assertThat(web.container().envFromSsm())
        .containsEntry("DATABASE_URL", "/web_staging/database_url");
    assertThat(web.container().command())
        .containsExactly("bundle", "exec", "puma", "-C", "config/puma.rb");
    assertThat(web.container().stopSignal()).isEqualTo("SIGQUIT");
    assertThat(web.container().memoryBytes()).isEqualTo(1L << 30);
    assertThat(web.health().interval()).isEqualTo(Duration.ofMillis(500));
    assertThat(web.health().path()).isEqualTo("/up");
    TrafficSpec traffic = web.trafficSpec().orElseThrow();
    assertThat(traffic.port()).as("the host port publishing health.port").isEqualTo(8081);
    assertThat(traffic.drainTimeout()).isEqualTo(Duration.ofSeconds(20));
    assertThat(traffic.drainTimeoutCap()).isEqualTo(Duration.ofSeconds(60));
    assertThat(web.rollout())
        .isEqualTo(new RolloutSpec(RolloutSpec.Strategy.START_FIRST, 25, true, false, 8082));

    ServiceSpec worker = config.service("worker_staging").orElseThrow();
    assertThat(worker.trafficSpec()).isEmpty();
    assertThat(worker.container().memoryBytes()).isEqualTo(268435456L);
    assertThat(worker.health().type()).isEqualTo(HealthSpec.Type.NONE);
  }

  @Test
  void load_localExample_resolvesDesiredFileNextToConfig() throws Exception {
    Path file = resource("local.yaml");
    AgentConfig config = ConfigLoader.load(file, Map.of("USER", "ada"), TagLookup.none());

    ServiceSpec demo = config.services().get(0);
    assertThat(demo.desired())
        .isEqualTo(new DesiredSource.File(file.getParent().resolve("desired/demo")));
    assertThat(demo.allowedRegistries()).as("local mode accepts any registry").isEmpty();
    assertThat(demo.container().env()).containsEntry("GREETING", "ada");
    assertThat(config.agent().stateDir()).isEqualTo(file.getParent().resolve("state"));
    assertThat(config.agent().aws().regionOverride()).contains("us-east-1");
  }

  /** The package's defaults as /etc/driftguard/driftguard.yaml, with the given drop-ins. */
  private Path installed(Map<String, String> dropIns) throws Exception {
    Path main = tmp.resolve("driftguard.yaml");
    Files.copy(Path.of("agent/etc/driftguard.yaml"), main);
    Files.createDirectories(tmp.resolve("conf.d"));
    for (Map.Entry<String, String> dropIn : dropIns.entrySet()) {
      Files.writeString(tmp.resolve("conf.d").resolve(dropIn.getKey()), dropIn.getValue());
    }
    return main;
  }

  @Test
  void validate_shippedDefaultsWithPackerSiteDropIn_hasNoErrors() throws Exception {
    Path main =
        installed(Map.of("50-site.yaml", Files.readString(Path.of("packer/files/50-site.yaml"))));

    assertThat(ConfigLoader.validate(main, Map.of())).isEmpty();
    AgentConfig config = ConfigLoader.load(main, Map.of(), TAGS);
    assertThat(config.services().get(0).desired())
        .isEqualTo(new DesiredSource.Ssm("/driftguard/web_staging/image"));
    assertThat(config.agent()).isEqualTo(AgentSettings.defaults());
  }

  @Test
  void validate_shippedDefaultsAlone_asksForServicesOnly() throws Exception {
    assertThat(ConfigLoader.validate(installed(Map.of()), Map.of()))
        .containsExactly("services: required: a list with at least one service");
  }

  // --- drop-ins (conf.d/*.yaml) -------------------------------------------------------------

  @Test
  void load_dropIns_mergeMappingsKeyByKey_laterFilesWinning() throws Exception {
    Files.writeString(
        tmp.resolve("driftguard.yaml"),
        """
        agent:
          pollInterval: 10s
          status: { listen: "127.0.0.1:9300" }
          aws: { region: eu-west-1, instanceId: i-0123456789abcdef0 }
        """
            + MINIMAL);
    Files.createDirectories(tmp.resolve("conf.d"));
    Files.writeString(tmp.resolve("conf.d/20-late.yaml"), "agent: { pollInterval: 30s }\n");
    Files.writeString(
        tmp.resolve("conf.d/10-early.yaml"),
        "agent:\n  pollInterval: 20s\n  aws: { region: us-east-1 }\n  images: { keep: 5 }\n");

    AgentSettings agent = ConfigLoader.load(tmp.resolve("driftguard.yaml"), Map.of(), TAGS).agent();

    assertThat(agent.pollInterval()).isEqualTo(Duration.ofSeconds(30));
    assertThat(agent.aws().regionOverride()).contains("us-east-1");
    assertThat(agent.aws().instanceIdOverride()).contains("i-0123456789abcdef0");
    assertThat(agent.statusListen()).isEqualTo(new ListenAddress("127.0.0.1", 9300));
    assertThat(agent.imagesToKeep()).isEqualTo(5);
  }

  @Test
  void load_dropInServices_replaceTheWholeList() throws Exception {
    Path main =
        installed(
            Map.of(
                "50-site.yaml",
                MINIMAL + "  - name: worker\n    desired: { allowedRegistries: [r.example.com] }\n",
                "90-user-data.yaml",
                MINIMAL.replace("name: web", "name: api")));

    assertThat(ConfigLoader.load(main, Map.of(), TAGS).services())
        .extracting(ServiceSpec::name)
        .containsExactly("api");
  }

  @Test
  void load_dropInNull_restoresTheDefault() throws Exception {
    Files.writeString(tmp.resolve("driftguard.yaml"), "agent: { pollInterval: 10s }\n" + MINIMAL);
    Files.createDirectories(tmp.resolve("conf.d"));
    Files.writeString(tmp.resolve("conf.d/50-site.yaml"), "agent: { pollInterval: ~ }\n");

    assertThat(
            ConfigLoader.load(tmp.resolve("driftguard.yaml"), Map.of(), TAGS)
                .agent()
                .pollInterval())
        .isEqualTo(AgentSettings.defaults().pollInterval());
  }

  @Test
  void load_dropIns_ignoreOtherNamesHiddenFilesAndFolders() throws Exception {
    Path main = installed(Map.of("50-site.yaml", MINIMAL));
    Path dir = tmp.resolve("conf.d");
    for (String ignored :
        List.of(
            "50-site.yaml.dpkg-old",
            "50-site.yaml.rpmnew",
            "50-site.yaml~",
            ".60-hidden.yaml",
            "README")) {
      Files.writeString(dir.resolve(ignored), "not: [valid");
    }
    Files.createDirectories(dir.resolve("70-folder.yaml"));

    assertThat(ConfigLoader.validate(main, Map.of())).isEmpty();
  }

  @Test
  void load_dropInYml_andEmptyDropIn_areRead() throws Exception {
    Path main = installed(Map.of("10-empty.yaml", "", "50-site.yml", MINIMAL));

    assertThat(ConfigLoader.load(main, Map.of(), TAGS).services()).hasSize(1);
  }

  @Test
  void load_emptyMainFile_takesEverythingFromDropIns() throws Exception {
    Files.writeString(tmp.resolve("driftguard.yaml"), "# nothing here\n");
    Files.createDirectories(tmp.resolve("conf.d"));
    Files.writeString(tmp.resolve("conf.d/50-site.yaml"), MINIMAL);

    assertThat(ConfigLoader.load(tmp.resolve("driftguard.yaml"), Map.of(), TAGS).services())
        .extracting(ServiceSpec::name)
        .containsExactly("web");
  }

  @Test
  void validate_errorInDropInValue_namesTheFile() throws Exception {
    Path main =
        installed(
            Map.of(
                "50-site.yaml",
                service("health: { type: tcp, port: 70000 }") + "agent: { pollInterval: 15x }\n"));

    assertThat(ConfigLoader.validate(main, Map.of()))
        .contains(
            "agent.pollInterval: '15x' is not a duration (use 500ms, 15s, 2m, 1h) (set in conf.d/50-site.yaml)")
        .anyMatch(
            e ->
                e.startsWith("services[0].health.port: ")
                    && e.endsWith(" (set in conf.d/50-site.yaml)"));
  }

  @Test
  void validate_errorInMainFileValue_namesNoDropIn() throws Exception {
    Files.writeString(tmp.resolve("driftguard.yaml"), "agent: { pollInterval: 15x }\n");
    Files.createDirectories(tmp.resolve("conf.d"));
    Files.writeString(
        tmp.resolve("conf.d/50-site.yaml"), "agent: { images: { keep: 3 } }\n" + MINIMAL);

    assertThat(ConfigLoader.validate(tmp.resolve("driftguard.yaml"), Map.of()))
        .containsExactly("agent.pollInterval: '15x' is not a duration (use 500ms, 15s, 2m, 1h)");
  }

  @Test
  void validate_dropInSyntaxErrorsAndShapes_areReportedPerFile() throws Exception {
    Path main =
        installed(
            Map.of(
                "10-broken.yaml", "agent: { pollInterval: 15s\n",
                "20-list.yaml", "- services\n",
                "30-dup.yaml", "agent: {}\nagent: {}\n"));

    List<String> errors = ConfigLoader.validate(main, Map.of());

    assertThat(errors).hasSize(3);
    assertThat(errors.get(0)).startsWith("conf.d/10-broken.yaml: line ");
    assertThat(errors.get(1))
        .isEqualTo("conf.d/20-list.yaml: must be a mapping (agent:, services:), not a list");
    assertThat(errors.get(2)).startsWith("conf.d/30-dup.yaml: line 2").contains("duplicate key");
  }

  @Test
  void load_unknownKeyInDropIn_isAnErrorNamingTheFile() throws Exception {
    Path main = installed(Map.of("50-site.yaml", MINIMAL + "agnet: {}\n"));

    ConfigException e =
        catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(main, Map.of(), TAGS));

    assertThat(e.errors())
        .singleElement()
        .asString()
        .startsWith("agnet: ")
        .endsWith("(set in conf.d/50-site.yaml)");
  }

  @Test
  void validate_testResources_haveNoErrors() throws Exception {
    for (String name : List.of("design-example.yaml", "full.yaml", "local.yaml")) {
      assertThat(ConfigLoader.validate(resource(name), Map.of())).as(name).isEmpty();
    }
  }

  // --- defaults ----------------------------------------------------------------------------

  @Test
  void load_minimal_appliesEveryDefault() {
    AgentConfig config = parse(MINIMAL);

    assertThat(config.agent()).isEqualTo(AgentSettings.defaults());
    ServiceSpec web = config.services().get(0);
    assertThat(web.desired()).isEqualTo(new DesiredSource.Ssm("/driftguard/web/image"));
    assertThat(web.container().ports()).isEmpty();
    assertThat(web.container().stopSignal()).isEqualTo("SIGTERM");
    assertThat(web.container().stopTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(web.container().memoryBytes()).isZero();
    assertThat(web.health().type()).as("docker when absent").isEqualTo(HealthSpec.Type.DOCKER);
    assertThat(web.health().interval()).isEqualTo(Duration.ofSeconds(2));
    assertThat(web.health().timeout()).isEqualTo(Duration.ofSeconds(1));
    assertThat(web.health().healthyThreshold()).isEqualTo(2);
    assertThat(web.health().deadline()).isEqualTo(Duration.ofSeconds(120));
    assertThat(web.trafficSpec()).isEmpty();
    assertThat(web.rollout()).isEqualTo(RolloutSpec.stopFirst());
  }

  @Test
  void load_agentDefaults_matchDocumentedValues() {
    AgentSettings defaults = AgentSettings.defaults();

    assertThat(defaults.pollInterval()).isEqualTo(Duration.ofSeconds(15));
    assertThat(defaults.metricsListen().toString()).isEqualTo("0.0.0.0:10027");
    assertThat(defaults.statusListen().toString()).isEqualTo("127.0.0.1:9274");
    assertThat(defaults.stateDir()).isEqualTo(Path.of("/var/lib/driftguard"));
    assertThat(defaults.dockerHost().toString()).isEqualTo("unix:///var/run/docker.sock");
    assertThat(defaults.logFormat()).isEqualTo(LogFormat.TEXT);
    assertThat(defaults.imagesToKeep()).isEqualTo(2);
    assertThat(defaults.registries()).isEmpty();
    assertThat(defaults.fleet().leaseTable()).isEqualTo("driftguard-leases");
    assertThat(defaults.fleet().maxClockSkew()).isEqualTo(Duration.ofSeconds(10));
    assertThat(defaults.fleet().ssmReadsPerSecond()).isEqualTo(20);
    assertThat(defaults.fleet().expectedHosts()).isEmpty();
    assertThat(defaults.fleet().elbRegistrationsPerSecond()).isEqualTo(3);
  }

  @Test
  void load_badFleetSettings_namesThePath() {
    List<String> errors =
        errors(
"""
agent:
  fleet: { leaseTable: "no spaces allowed", maxClockSkew: 10m, ssmReadsPerSecond: 0, expectedHosts: 0,
           elbRegistrationsPerSecond: 0 }
services:
  - name: web
    desired: { file: ./desired }
""");

    assertThat(errors)
        .contains(
            "agent.fleet.leaseTable: 'no spaces allowed' is not a DynamoDB table name (3 to 255 of"
                + " a-z A-Z 0-9 _ . -)",
            "agent.fleet.maxClockSkew: must be at most 5m");
    assertThat(errors).anyMatch(e -> e.startsWith("agent.fleet.ssmReadsPerSecond: "));
    assertThat(errors).anyMatch(e -> e.startsWith("agent.fleet.expectedHosts: "));
    assertThat(errors).anyMatch(e -> e.startsWith("agent.fleet.elbRegistrationsPerSecond: "));
  }

  @Test
  void load_httpHealthWithoutPath_usesHealthz() {
    AgentConfig config =
        parse(
            service(
                """
                container: { ports: ["80:8080"] }
                health: { type: http, port: 8080 }
                """));

    assertThat(config.services().get(0).health().path()).isEqualTo("/healthz");
  }

  @Test
  void load_trafficWithoutPort_usesHostPortPublishingHealthPort() {
    AgentConfig config =
        parse(
            service(
"""
container: { ports: ["9100:9100", "80:8080"] }
health: { type: tcp, port: 8080 }
traffic:
  targetGroupArn: arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/abc123
"""));

    assertThat(config.services().get(0).trafficSpec().orElseThrow().port()).isEqualTo(80);
  }

  @Test
  void load_trafficWithDockerHealthAndOnePort_usesThatPort() {
    AgentConfig config =
        parse(
            service(
"""
container: { ports: ["8000:80"] }
traffic:
  targetGroupArn: arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/abc123
"""));

    assertThat(config.services().get(0).trafficSpec().orElseThrow().port()).isEqualTo(8000);
  }

  // --- interpolation -----------------------------------------------------------------------

  @Test
  void load_tagAndEnvInterpolation_resolvesEverywhere() {
    AgentConfig config =
        ConfigLoader.parse(
            """
            agent:
              aws: { region: "${env:AWS_REGION}" }
            services:
              - name: "${tag:Name}-${tag:aws:autoscaling:groupName:-solo}"
                desired:
                  ssmParameter: "/${tag:Team}/{service}/image"
                  allowedRegistries: ["${env:REGISTRY}"]
                container:
                  env: { LITERAL: "$${not.interpolated}", PLAIN: "no $ here" }
            """,
            "test.yaml",
            BASE,
            Map.of("AWS_REGION", "eu-central-1", "REGISTRY", REGISTRY),
            TagLookup.of(Map.of("Name", "web_staging", "Team", "payments")));

    ServiceSpec service = config.services().get(0);
    assertThat(service.name()).isEqualTo("web_staging-solo");
    assertThat(service.desired())
        .isEqualTo(new DesiredSource.Ssm("/payments/web_staging-solo/image"));
    assertThat(service.allowedRegistries()).containsExactly(REGISTRY);
    assertThat(service.container().env())
        .containsEntry("LITERAL", "${not.interpolated}")
        .containsEntry("PLAIN", "no $ here");
    assertThat(config.agent().aws().regionOverride()).contains("eu-central-1");
  }

  @Test
  void load_whenTagMissing_reportsPathAndHint() {
    List<String> errors =
        catchThrowableOfType(
                ConfigException.class,
                () ->
                    ConfigLoader.parse(
                        MINIMAL.replace("web", "\"${tag:Name}\""),
                        "t",
                        BASE,
                        Map.of(),
                        TagLookup.none()))
            .errors();

    assertThat(errors)
        .containsExactly(
            "services[0].name: instance tag 'Name' is not set (or instance metadata tags are"
                + " off)");
  }

  @Test
  void load_whenTagLookupFails_reportsPathInsteadOfThrowing() {
    TagLookup broken =
        key -> {
          throw new IllegalStateException("IMDS timed out");
        };

    ConfigException e =
        catchThrowableOfType(
            ConfigException.class,
            () ->
                ConfigLoader.parse(
                    MINIMAL.replace("web", "\"${tag:Name}\""), "t", BASE, Map.of(), broken));

    assertThat(e.errors())
        .containsExactly("services[0].name: could not read instance tag 'Name': IMDS timed out");
  }

  @Test
  void load_sameTagTwice_asksOnce() {
    AtomicInteger calls = new AtomicInteger();
    TagLookup counting =
        key -> {
          calls.incrementAndGet();
          return Optional.of("web");
        };

    ConfigLoader.parse(
        """
        services:
          - name: "${tag:Name}"
            desired:
              ssmParameter: "/${tag:Name}/image"
              allowedRegistries: [registry.example.com]
        """,
        "t",
        BASE,
        Map.of(),
        counting);

    assertThat(calls).hasValue(1);
  }

  @Test
  void load_whenEnvMissing_reportsPath() {
    List<String> errors = errors(service("container: { env: { TOKEN: \"${env:DEPLOY_TOKEN}\" } }"));

    assertThat(errors)
        .containsExactly(
            "services[0].container.env.TOKEN: environment variable 'DEPLOY_TOKEN' is not set");
  }

  @Test
  void load_whenInterpolationMalformed_reportsPath() {
    List<String> errors =
        errors(service("container: { env: { A: \"${secret:x}\", B: \"${env:X\" } }"));

    assertThat(errors)
        .containsExactly(
            "services[0].container.env.A: '${secret:x}' is not an interpolation (use"
                + " ${tag:KEY} or ${env:NAME})",
            "services[0].container.env.B: unclosed '${' in '${env:X' (write $${ for a literal"
                + " ${)");
  }

  @Test
  void load_whenTagValueIsNotAName_saysWhereItCameFrom() {
    List<String> errors =
        catchThrowableOfType(
                ConfigException.class,
                () ->
                    ConfigLoader.parse(
                        MINIMAL.replace("web", "\"${tag:Name}\""),
                        "t",
                        BASE,
                        Map.of(),
                        TagLookup.of(Map.of("Name", "Web Staging"))))
            .errors();

    assertThat(errors).hasSize(1);
    assertThat(errors.get(0))
        .startsWith("services[0].name: 'Web Staging' is not a valid service name")
        .endsWith("(from '${tag:Name}')");
  }

  @Test
  void validate_tagPlaceholders_acceptedWithoutTags(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("driftguard.yaml");
    Files.writeString(
        file,
        """
        services:
          - name: "${tag:Name}"
            desired: { allowedRegistries: ["${tag:Registry}"] }
          - name: "${tag:Name}-worker"
            desired: { allowedRegistries: [registry.example.com] }
        """);

    assertThat(ConfigLoader.validate(file, Map.of())).isEmpty();
  }

  @Test
  void validate_sameTagNameTwice_stillReportsDuplicate(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("driftguard.yaml");
    Files.writeString(
        file,
        """
        services:
          - name: "${tag:Name}"
            desired: { allowedRegistries: [registry.example.com] }
          - name: "${tag:Name}"
            desired: { allowedRegistries: [registry.example.com] }
        """);

    assertThat(ConfigLoader.validate(file, Map.of()))
        .singleElement()
        .asString()
        .startsWith(
            "services[1].name: service name 'tag-Name' is already used at services[0].name");
  }

  @Test
  void validate_tagUsedAsNumber_saysAStandInWasUsed() throws Exception {
    Path file = tmp.resolve("driftguard.yaml");
    Files.writeString(file, service("container: { ports: [\"${tag:Port}:80\"] }"));

    assertThat(ConfigLoader.validate(file, Map.of()))
        .singleElement()
        .asString()
        .startsWith("services[0].container.ports[0]: port binding 'tag-Port:80' has a port")
        .endsWith(
            "(validated with stand-ins for the tags in '${tag:Port}:80'; the instance's tag"
                + " values are checked at start-up)");
    assertThat(
            ConfigLoader.parse(
                    Files.readString(file), "t", BASE, Map.of(), TagLookup.of(Map.of("Port", "81")))
                .services()
                .get(0)
                .container()
                .ports())
        .containsExactly(new PortBinding("", 81, 80, "tcp"));
  }

  @Test
  void validate_envStillResolved() throws Exception {
    Path file = tmp.resolve("driftguard.yaml");
    Files.writeString(file, service("container: { env: { A: \"${env:MISSING}\" } }"));

    assertThat(ConfigLoader.validate(file, Map.of()))
        .containsExactly("services[0].container.env.A: environment variable 'MISSING' is not set");
    assertThat(ConfigLoader.validate(file, Map.of("MISSING", "here"))).isEmpty();
  }

  // --- file and syntax problems ------------------------------------------------------------

  @Test
  void load_whenFileMissing_throwsConfigException() {
    Path missing = tmp.resolve("nope.yaml");

    assertThatThrownBy(() -> ConfigLoader.load(missing, Map.of(), TAGS))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("no such file");
    assertThat(ConfigLoader.validate(missing, Map.of()))
        .containsExactly(missing + ": no such file");
  }

  @Test
  void load_whenYamlSyntaxBroken_reportsLineAndColumn() {
    List<String> errors = errors("services:\n  - name: web\n    desired: [a\n  x: 1\n");

    assertThat(errors).singleElement().asString().matches("line \\d+, column \\d+: .+");
  }

  @Test
  void load_whenTabIndented_reportsExactLine() {
    List<String> errors = errors("services:\n\t- name: web\n");

    assertThat(errors).singleElement().asString().startsWith("line 2, column 1: ");
  }

  @Test
  void load_whenKeyDuplicated_reportsLine() {
    List<String> errors = errors(MINIMAL + "services: []\n");

    assertThat(errors)
        .singleElement()
        .asString()
        .contains("line 5")
        .contains("duplicate key 'services'");
  }

  @Test
  void load_whenFileEmpty_saysWhatIsNeeded() {
    assertThat(errors("# nothing\n"))
        .containsExactly("the file is empty; it needs at least a services: list");
  }

  @Test
  void load_whenTwoDocuments_rejects() {
    assertThat(errors(MINIMAL + "---\n" + MINIMAL))
        .singleElement()
        .asString()
        .contains("a second YAML document");
  }

  @Test
  void load_whenNotUtf8_rejects() throws Exception {
    Path file = tmp.resolve("latin1.yaml");
    Files.write(file, "services: [\u00e9]".getBytes(StandardCharsets.ISO_8859_1));

    assertThat(ConfigLoader.validate(file, Map.of())).containsExactly(file + ": not UTF-8 text");
  }

  @Test
  void load_whenRootIsAList_reportsType() {
    assertThat(errors("- a\n- b\n")).containsExactly("must be a mapping (key: value), not a list");
  }

  // --- unknown keys ------------------------------------------------------------------------

  @Test
  void load_unknownKeysAtEveryLevel_reportedWithPathsAndSuggestions() {
    List<String> errors =
        errors(
"""
agnet: {}
agent:
  pollIntervall: 15s
  metrics: { listen: "0.0.0.0:10027", path: /m }
  status: { lisen: "127.0.0.1:9274" }
  docker: { socket: /x }
  aws: { regoin: auto, endpoints: { sts: "http://127.0.0.1:1" } }
  log: { level: debug }
  images: { retain: 1 }
  registries: [{ host: r.example.com, username: u, passwordFile: /p, token: x }]
services:
  - name: web
    nmae: web
    desired: { allowedRegistries: [r.example.com], ssmParam: /x }
    container: { portz: ["80:80"], ports: ["80:80"] }
    health: { typ: http }
    traffic: { targetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/abc123", arn: x }
    rollout: { strategey: stop-first }
""");

    assertThat(errors)
        .contains(
            "agnet: unknown key (did you mean 'agent'? known: agent, services)",
            "agent.pollIntervall: unknown key (did you mean 'pollInterval'? known: pollInterval,"
                + " metrics, status, stateDir, docker, aws, log, images, registries, fleet,"
                + " selfReport)",
            "agent.metrics.path: unknown key (known: listen)",
            "agent.status.lisen: unknown key (did you mean 'listen'? known: listen)",
            "agent.docker.socket: unknown key (known: host)",
            "agent.aws.regoin: unknown key (did you mean 'region'? known: region, instanceId,"
                + " endpoints)",
            "agent.aws.endpoints.sts: unknown key (did you mean 'ssm'? known: autoscaling, dynamodb,"
                + " ec2, ecr,"
                + " elbv2, imds, ssm)",
            "agent.log.level: unknown key (known: format)",
            "agent.images.retain: unknown key (known: keep)",
            "agent.registries[0].token: unknown key (known: host, username, passwordFile)",
            "services[0].nmae: unknown key (did you mean 'name'? known: name, desired,"
                + " container, health, traffic, rollout)",
            "services[0].desired.ssmParam: unknown key (known: ssmParameter, file,"
                + " allowedRegistries)",
            "services[0].container.portz: unknown key (did you mean 'ports'? known: name, ports, env,"
                + " envFromSsm, volumes, command, stopSignal, stopTimeout, memory)",
            "services[0].health.typ: unknown key (did you mean 'type'? known: type, port, path,"
                + " interval, timeout, healthyThreshold, deadline)",
            "services[0].traffic.arn: unknown key (known: targetGroupArn, port, drainTimeout,"
                + " drainTimeoutCap, healthyDeadline)",
            "services[0].rollout.strategey: unknown key (did you mean 'strategy'? known:"
                + " strategy, maxUnavailable, rollback, nextPort, runOnce)");
    assertThat(errors).hasSize(16);
  }

  // --- agent section -----------------------------------------------------------------------

  @Test
  void load_whenPollIntervalNotADuration_reportsHint() {
    assertThat(errors("agent: { pollInterval: 15x }\n" + MINIMAL))
        .containsExactly("agent.pollInterval: '15x' is not a duration (use 500ms, 15s, 2m, 1h)");
    assertThat(errors("agent: { pollInterval: 15 }\n" + MINIMAL))
        .containsExactly("agent.pollInterval: '15' has no unit (write 15s or 15ms)");
    assertThat(errors("agent: { pollInterval: 10ms }\n" + MINIMAL))
        .containsExactly("agent.pollInterval: must be at least 100ms");
  }

  @Test
  void load_whenStatusNotLoopback_rejects() {
    assertThat(errors("agent: { status: { listen: \"0.0.0.0:9274\" } }\n" + MINIMAL))
        .singleElement()
        .asString()
        .startsWith("agent.status.listen: '0.0.0.0:9274' is not a loopback address");
    assertThat(errors("agent: { status: { listen: \"status.example.com:9274\" } }\n" + MINIMAL))
        .singleElement()
        .asString()
        .startsWith("agent.status.listen: 'status.example.com:9274' is not a loopback address");
  }

  @Test
  void load_statusOnLoopbackForms_accepted() {
    for (String listen : List.of("127.0.0.1:9274", "127.0.0.2:1", "localhost:9274", "[::1]:9274")) {
      AgentConfig config = parse("agent: { status: { listen: \"" + listen + "\" } }\n" + MINIMAL);
      assertThat(config.agent().statusListen().isLoopback()).as(listen).isTrue();
    }
  }

  @Test
  void load_whenAgentValuesInvalid_reportsEachPath() {
    List<String> errors =
        errors(
            """
            agent:
              metrics: { listen: "10027" }
              docker: { host: "/var/run/docker.sock" }
              aws:
                region: US-EAST-1
                instanceId: web-1
                endpoints: { ssm: "127.0.0.1:4566" }
              log: { format: xml }
              images: { keep: -1 }
              registries:
                - host: "https://registry.example.com"
                - host: 123456789012.dkr.ecr.us-east-1.amazonaws.com
                  username: AWS
                  passwordFile: /p
            """
                + MINIMAL);

    assertThat(errors)
        .containsExactly(
            "agent.metrics.listen: '10027' is not HOST:PORT (e.g. 0.0.0.0:10027)",
            "agent.docker.host: '/var/run/docker.sock' is not unix:///path/to/docker.sock or"
                + " tcp://HOST:PORT",
            "agent.aws.region: 'US-EAST-1' is not auto or an AWS region name like us-east-1",
            "agent.aws.instanceId: 'web-1' is not auto or an instance id like"
                + " i-0123456789abcdef0",
            "agent.aws.endpoints.ssm: '127.0.0.1:4566' is not an http(s) URL like"
                + " http://127.0.0.1:4566",
            "agent.log.format: 'xml' is not text or json",
            "agent.images.keep: must be 0..1000, not -1",
            "agent.registries[0].host: 'https://registry.example.com' is not a registry"
                + " host[:port] like registry.example.com:5000",
            "agent.registries[0].username: required",
            "agent.registries[0].passwordFile: required (a file holding only the password; it"
                + " is read when a pull needs it)");
  }

  @Test
  void load_whenRegistryListedTwice_rejects() {
    List<String> errors =
        errors(
            """
            agent:
              registries:
                - { host: r.example.com, username: a, passwordFile: /a }
                - { host: R.example.com, username: b, passwordFile: /b }
            """
                + MINIMAL);

    assertThat(errors)
        .containsExactly(
            "agent.registries[1].host: 'R.example.com' is already configured at"
                + " agent.registries[0]");
  }

  // --- services: structure -----------------------------------------------------------------

  @Test
  void load_whenServicesMissingOrEmpty_rejects() {
    assertThat(errors("agent: {}\n"))
        .containsExactly("services: required: a list with at least one service");
    assertThat(errors("services: []\n"))
        .containsExactly("services: must list at least one service");
    assertThat(errors("services: { name: web }\n"))
        .containsExactly("services: must be a list ([a, b] or '- a' lines), not a mapping");
  }

  @Test
  void load_whenServiceEntryNotAMapping_reportsOnce() {
    assertThat(errors(MINIMAL + "  - web\n  -\n"))
        .containsExactly(
            "services[1]: must be a mapping (key: value), not 'web'",
            "services[2]: empty entry (a service needs at least a name)");
  }

  @Test
  void load_whenNameMissingOrInvalid_reportsPath() {
    assertThat(errors("services:\n  - desired: { allowedRegistries: [r.example.com] }\n"))
        .containsExactly(
            "services[0].name: required (a literal like web_staging, or \"${tag:Name}\")");
    assertThat(errors(MINIMAL.replace("name: web", "name: -web")))
        .singleElement()
        .asString()
        .startsWith("services[0].name: '-web' is not a valid service name");
  }

  @Test
  void load_whenServiceNamesRepeat_reportsSecond() {
    assertThat(errors(MINIMAL + MINIMAL.replace("services:\n", "")))
        .containsExactly(
            "services[1].name: service name 'web' is already used at services[0].name");
  }

  @Test
  void load_whenSectionHasWrongType_reportsType() {
    assertThat(errors(service("container: [a]\nhealth: http\n")))
        .containsExactly(
            "services[0].container: must be a mapping (key: value), not a list",
            "services[0].health: must be a mapping (key: value), not 'http'");
  }

  // --- services: desired -------------------------------------------------------------------

  @Test
  void load_whenBothSsmAndFile_reportsDesired() {
    List<String> errors =
        errors(
            """
            services:
              - name: web
                desired: { ssmParameter: /a, file: ./b, allowedRegistries: [r.example.com] }
              - name: api
                desired: { allowedRegistries: [r.example.com] }
            """);

    assertThat(errors)
        .containsExactly("services[0].desired: set exactly one of ssmParameter or file, not both");
  }

  @Test
  void load_whenSsmSourceWithoutAllowedRegistries_requiresThem() {
    assertThat(errors("services:\n  - name: web\n"))
        .singleElement()
        .asString()
        .startsWith("services[0].desired.allowedRegistries: required for an SSM source");
    assertThat(errors("services:\n  - { name: web, desired: { allowedRegistries: [] } }\n"))
        .containsExactly("services[0].desired.allowedRegistries: must not be empty");
  }

  @Test
  void load_whenSsmNameOrRegistryMalformed_reportsPath() {
    List<String> errors =
        errors(
            """
            services:
              - name: web
                desired:
                  ssmParameter: "/driftguard/{name}/image"
                  allowedRegistries: ["https://r.example.com/"]
            """);

    assertThat(errors)
        .containsExactly(
            "services[0].desired.ssmParameter: '/driftguard/{name}/image' is not an SSM"
                + " parameter name (letters, digits, _ . - /; only {service} is replaced)",
            "services[0].desired.allowedRegistries[0]: 'https://r.example.com/' is not a"
                + " registry host[:port] like 123456789012.dkr.ecr.us-east-1.amazonaws.com");
  }

  @Test
  void load_absoluteDesiredFile_keptAsIs() {
    AgentConfig config =
        parse("services:\n  - { name: web, desired: { file: /srv/desired/web } }\n");

    assertThat(config.services().get(0).desired())
        .isEqualTo(new DesiredSource.File(Path.of("/srv/desired/web")));
  }

  // --- services: container -----------------------------------------------------------------

  @Test
  void load_whenContainerValuesInvalid_reportsEachPath() {
    List<String> errors =
        errors(
            service(
                """
                container:
                  ports: ["80", "0:8080", "81:81/sctp"]
                  env: { "BAD-NAME": x, EMPTY: ~ }
                  envFromSsm: { DB: "not a name" }
                  volumes: ["data:/data", "/a:b", "/a:/b:rx"]
                  command: "bundle exec puma"
                  stopSignal: SIGSTOPP
                  stopTimeout: 1500ms
                  memory: 512x
                """));

    assertThat(errors)
        .containsExactly(
            "services[0].container.ports[0]: port binding '80' must be [IP:]HOST:CONTAINER"
                + " (driftguard publishes explicitly)",
            "services[0].container.ports[1]: host port must be 1..65535, not 0",
            "services[0].container.ports[2]: protocol must be tcp or udp, not 'sctp'",
            "services[0].container.env.EMPTY: needs a value (write \"\" for an empty one)",
            "services[0].container.env.BAD-NAME: 'BAD-NAME' is not a variable name (letters,"
                + " digits, _)",
            "services[0].container.envFromSsm.DB: 'not a name' is not an SSM parameter name"
                + " (letters, digits, _ . - /)",
            "services[0].container.volumes[0]: 'data:/data': the host path must be absolute"
                + " (named volumes are not supported)",
            "services[0].container.volumes[1]: '/a:b': the container path must be absolute",
            "services[0].container.volumes[2]: '/a:/b:rx': the mode must be ro or rw",
            "services[0].container.command: must be a list, e.g. [\"bundle\", \"exec\","
                + " \"puma\"] (one string would need a shell to split it)",
            "services[0].container.stopSignal: 'SIGSTOPP' is not a signal name like SIGTERM,"
                + " SIGINT or SIGQUIT",
            "services[0].container.stopTimeout: '1500ms' must be whole seconds (Docker counts"
                + " the stop timeout in seconds)",
            "services[0].container.memory: '512x' is not a size (e.g. 512m, 1g, or bytes like"
                + " 268435456)");
  }

  @Test
  void load_whenEnvAlsoFromSsm_rejectsDuplicate() {
    assertThat(errors(service("container: { env: { DB: x }, envFromSsm: { DB: /db } }")))
        .containsExactly("services[0].container.envFromSsm.DB: 'DB' is also set in env; keep one");
  }

  @Test
  void load_stopSignalShortForm_normalised() {
    AgentConfig config = parse(service("container: { stopSignal: quit }"));

    assertThat(config.services().get(0).container().stopSignal()).isEqualTo("SIGQUIT");
  }

  @Test
  void load_memoryForms_parsed() {
    assertThat(ContainerReader.memoryBytes("512m")).isEqualTo(512L << 20);
    assertThat(ContainerReader.memoryBytes("1g")).isEqualTo(1L << 30);
    assertThat(ContainerReader.memoryBytes("1G")).isEqualTo(1L << 30);
    assertThat(ContainerReader.memoryBytes("256MiB")).isEqualTo(256L << 20);
    assertThat(ContainerReader.memoryBytes("268435456")).isEqualTo(268435456L);
    assertThat(ContainerReader.memoryBytes("0")).isZero();
    assertThatThrownBy(() -> ContainerReader.memoryBytes("1m"))
        .hasMessageContaining("below Docker's minimum of 6m");
    assertThatThrownBy(() -> ContainerReader.memoryBytes("99999999999999999999g"))
        .hasMessageContaining("too large");
  }

  @Test
  void load_whenHostPortPublishedTwice_reportsSecond() {
    List<String> errors =
        errors(
            """
            services:
              - name: web
                desired: { allowedRegistries: [r.example.com] }
                container: { ports: ["80:8080", "127.0.0.1:80:9090", "80:80/udp"] }
              - name: api
                desired: { allowedRegistries: [r.example.com] }
                container: { ports: ["10.0.0.5:8080:8080", "80:8080"] }
            """);

    assertThat(errors)
        .containsExactly(
            "services[0].container.ports[1]: host port 80 is already published by"
                + " services[0].container.ports[0]",
            "services[1].container.ports[1]: host port 80 is already published by"
                + " services[0].container.ports[0]",
            "services[1].container.ports[1]: host port 80 is already published by"
                + " services[0].container.ports[1]");
  }

  @Test
  void load_whenServicePublishesAgentPort_rejects() {
    assertThat(errors(service("container: { ports: [\"10027:80\"] }")))
        .containsExactly(
            "services[0].container.ports[0]: host port 10027 is the agent's own"
                + " (agent.metrics.listen)");
  }

  // --- services: health --------------------------------------------------------------------

  @Test
  void load_whenHealthPortNotPublished_reportsPath() {
    assertThat(
            errors(
                service(
                    """
                    container: { ports: ["80:8080"] }
                    health: { type: http, port: 9090 }
                    """)))
        .containsExactly(
            "services[0].health.port: container port 9090 is not published in container.ports"
                + " (probes go through the host port; add e.g. \"9090:9090\")");
  }

  @Test
  void load_whenHealthValuesInvalid_reportsEachPath() {
    List<String> errors =
        errors(
            service(
                """
                container: { ports: ["80:8080"] }
                health:
                  type: http
                  port: 70000
                  path: healthz
                  interval: 0s
                  timeout: 1
                  healthyThreshold: 0
                  deadline: 2m
                """));

    assertThat(errors)
        .containsExactly(
            "services[0].health.port: must be 1..65535, not 70000",
            "services[0].health.path: 'healthz' must start with '/'",
            "services[0].health.interval: must be more than zero",
            "services[0].health.timeout: '1' has no unit (write 1s or 1ms)",
            "services[0].health.healthyThreshold: must be 1..100, not 0");
  }

  @Test
  void load_whenTextIsWrittenAsNumberOrBoolean_asksToQuoteIt() {
    // YAML would hand 0755 over as 493 and yes as true: a name or command must be what is written.
    assertThat(
            errors(
                service(
                    """
                    container:
                      name: 0755
                      command: [sleep, yes]
                    """)))
        .containsExactlyInAnyOrder(
            "services[0].container.name: is a number to YAML (read as 493), not text: quote it"
                + " to keep it as written",
            "services[0].container.command[1]: is a boolean to YAML (read as true), not text:"
                + " quote it to keep it as written");
  }

  @Test
  void load_envValuesWrittenAsNumbersOrBooleans_areTheirText() {
    AgentConfig config =
        parse(service("container: { env: { PORT: 8080, DEBUG: true, QUOTED: \"0755\" } }"));

    assertThat(config.services().get(0).container().env())
        .containsOnly(
            Map.entry("PORT", "8080"), Map.entry("DEBUG", "true"), Map.entry("QUOTED", "0755"));
  }

  @Test
  void load_wordsFromAList_areReadInAnyCase() {
    AgentConfig config =
        parse(
            """
            agent:
              log: { format: JSON }
              aws: { region: Auto, instanceId: AUTO }
            services:
              - name: web
                desired: { allowedRegistries: [registry.example.com] }
                container: { ports: ["8080:8080"] }
                health: { type: Tcp, port: 8080 }
                traffic:
                  targetGroupArn: arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123abcd
                  drainTimeout: AUTO
                rollout: { strategy: Start-First, nextPort: 8082 }
            """);

    assertThat(config.agent().logFormat()).isEqualTo(LogFormat.JSON);
    assertThat(config.agent().aws().regionOverride()).isEmpty();
    assertThat(config.agent().aws().instanceIdOverride()).isEmpty();
    ServiceSpec web = config.services().get(0);
    assertThat(web.health().type()).isEqualTo(HealthSpec.Type.TCP);
    assertThat(web.trafficSpec().orElseThrow().drainTimeout()).as("auto").isNull();
    assertThat(web.rollout().strategy()).isEqualTo(RolloutSpec.Strategy.START_FIRST);
  }

  @Test
  void load_whenHealthTypeUnknownOrPortMissing_reportsPath() {
    assertThat(errors(service("health: { type: htp }")))
        .containsExactly("services[0].health.type: 'htp' is not one of docker, http, tcp, none");
    assertThat(errors(service("health: { type: tcp }")))
        .containsExactly(
            "services[0].health.port: required for tcp health checks (the container port to"
                + " probe)");
  }

  @Test
  void load_whenPortOrPathGivenToWrongHealthType_rejects() {
    assertThat(errors(service("health: { type: docker, port: 8080, path: /x }")))
        .containsExactly(
            "services[0].health.port: is used only by http and tcp health checks",
            "services[0].health.path: is used only by http health checks");
  }

  @Test
  void load_whenDeadlineCannotFitProbes_rejects() {
    assertThat(errors(service("health: { interval: 10s, healthyThreshold: 3, deadline: 15s }")))
        .containsExactly(
            "services[0].health.deadline: 15s is too short for 3 passing probes 10s apart (needs"
                + " at least 21s)");
  }

  // --- services: traffic -------------------------------------------------------------------

  @Test
  void load_whenTrafficInvalid_reportsEachPath() {
    List<String> errors =
        errors(
            service(
                """
                container: { ports: ["80:8080"] }
                traffic:
                  targetGroupArn: "arn:aws:elasticloadbalancing:..."
                  port: 81
                  drainTimeout: soon
                  healthyDeadline: 0s
                """));

    assertThat(errors)
        .containsExactly(
            "services[0].traffic.targetGroupArn: malformed target group ARN"
                + " 'arn:aws:elasticloadbalancing:...': expected"
                + " arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID",
            "services[0].traffic.port: host port 81 is not published in container.ports (the"
                + " target group sends traffic to a host port)",
            "services[0].traffic.drainTimeout: 'soon' is not a duration (use 500ms, 15s, 2m, 1h)",
            "services[0].traffic.healthyDeadline: must be more than zero");
  }

  @Test
  void load_whenTrafficPortAmbiguous_requiresIt() {
    List<String> errors =
        errors(
            service(
                """
                container: { ports: ["80:8080", "443:8443"] }
                traffic: {}
                """));

    assertThat(errors)
        .containsExactly(
            "services[0].traffic.targetGroupArn: required"
                + " (arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID); omit traffic"
                + " for services without a load balancer",
            "services[0].traffic.port: required: the service publishes 2 tcp ports and no"
                + " http/tcp health port says which one the target group uses");
  }

  // --- services: rollout -------------------------------------------------------------------

  @Test
  void load_whenRolloutInvalid_reportsEachPath() {
    List<String> errors =
        errors(
            service(
                """
                rollout:
                  strategy: blue-green
                  maxUnavailable: 150%
                  rollback: maybe
                """));

    assertThat(errors)
        .containsExactly(
            "services[0].rollout.strategy: 'blue-green' is not stop-first or start-first",
            "services[0].rollout.maxUnavailable: '150%' is not a host count (1 or more) or a"
                + " percentage (1%..100%)",
            "services[0].rollout.rollback: 'maybe' is not true or false");
  }

  @Test
  void load_whenStartFirstWithoutNextPort_requiresIt() {
    assertThat(
            errors(
                service("container: { ports: [\"80:8080\"] }\nrollout: { strategy: start-first }")))
        .singleElement()
        .asString()
        .startsWith("services[0].rollout.nextPort: required for start-first");
  }

  @Test
  void load_whenNextPortIsPublished_rejects() {
    List<String> errors =
        errors(
            """
            services:
              - name: web
                desired: { allowedRegistries: [r.example.com] }
                container: { ports: ["80:8080"] }
                rollout: { strategy: start-first, nextPort: 81 }
              - name: api
                desired: { allowedRegistries: [r.example.com] }
                container: { ports: ["81:8080"] }
                rollout: { strategy: start-first, nextPort: 80 }
            """);

    assertThat(errors)
        .containsExactly(
            "services[0].rollout.nextPort: host port 81 is already published by"
                + " services[1].container.ports[0] (start-first needs a port that is free while"
                + " the old container runs)",
            "services[1].rollout.nextPort: host port 80 is already published by"
                + " services[0].container.ports[0] (start-first needs a port that is free while"
                + " the old container runs)");
  }

  @Test
  void load_whenStartFirstWithSeveralPorts_rejects() {
    assertThat(
            errors(
                service(
                    """
                    container: { ports: ["80:8080", "9100:9100"] }
                    rollout: { strategy: start-first, nextPort: 81 }
                    """)))
        .singleElement()
        .asString()
        .startsWith(
            "services[0].rollout.strategy: start-first needs a service that publishes one port");
  }

  @Test
  void load_whenNextPortWithStopFirst_rejects() {
    assertThat(errors(service("rollout: { nextPort: 81 }")))
        .containsExactly("services[0].rollout.nextPort: is used only by the start-first strategy");
  }

  @Test
  void load_maxUnavailableForms_parsed() {
    RolloutSpec count =
        parse(service("rollout: { maxUnavailable: 3 }")).services().get(0).rollout();
    RolloutSpec percent =
        parse(service("rollout: { maxUnavailable: \"25%\" }")).services().get(0).rollout();

    assertThat(count.maxUnavailable()).isEqualTo(3);
    assertThat(count.maxUnavailablePercent()).isFalse();
    assertThat(percent.maxUnavailable()).isEqualTo(25);
    assertThat(percent.maxUnavailablePercent()).isTrue();
  }

  // --- many errors at once -----------------------------------------------------------------

  @Test
  void load_severalErrors_allReportedTogetherInFileOrder() {
    ConfigException e =
        catchThrowableOfType(
            ConfigException.class,
            () ->
                parse(
                    """
                    agent: { pollInterval: 15x }
                    services:
                      - name: web
                        desired: { allowedRegistries: [r.example.com] }
                        health: { type: http, port: 0 }
                      - name: api
                        desired: { ssmParameter: /a, file: ./b }
                    """));

    assertThat(e.errors())
        .containsExactly(
            "agent.pollInterval: '15x' is not a duration (use 500ms, 15s, 2m, 1h)",
            "services[0].health.port: must be 1..65535, not 0",
            "services[1].desired: set exactly one of ssmParameter or file, not both");
    assertThat(e).hasMessageStartingWith("invalid configuration test.yaml (3 errors)");
    assertThat(e.getMessage()).contains("\n  services[0].health.port: must be 1..65535, not 0");
  }

  @Test
  void load_containerName_defaultsToServiceName_andCanBeSet() {
    String yaml =
        """
        services:
          - name: web
            desired: { file: /tmp/desired, allowedRegistries: ["registry.example.com"] }
            container: { name: web-host-1, ports: ["127.0.0.1:18080:8080"] }
            health: { type: tcp, port: 8080 }
          - name: worker
            desired: { file: /tmp/desired2, allowedRegistries: ["registry.example.com"] }
            health: { type: none }
        """;
    AgentConfig config =
        ConfigLoader.parse(
            yaml, "test.yaml", java.nio.file.Path.of("/tmp"), java.util.Map.of(), TagLookup.none());
    assertThat(config.services().get(0).containerName()).isEqualTo("web-host-1");
    assertThat(config.services().get(0).previousContainerName()).isEqualTo("web-host-1-previous");
    assertThat(config.services().get(1).containerName()).isEqualTo("worker");
  }

  @Test
  void load_containerNameTakenByAnotherService_isAnError() {
    String yaml =
        """
        services:
          - name: web
            desired: { file: /tmp/desired, allowedRegistries: ["registry.example.com"] }
            health: { type: none }
          - name: api
            desired: { file: /tmp/desired2, allowedRegistries: ["registry.example.com"] }
            container: { name: web }
            health: { type: none }
        """;
    assertThatThrownBy(
            () ->
                ConfigLoader.parse(
                    yaml,
                    "test.yaml",
                    java.nio.file.Path.of("/tmp"),
                    java.util.Map.of(),
                    TagLookup.none()))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.errors())
                    .anyMatch(
                        line ->
                            line.startsWith("services[1].container.name: container name 'web'")));
  }
}
