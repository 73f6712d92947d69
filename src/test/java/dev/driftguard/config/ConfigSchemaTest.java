package dev.driftguard.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.dialect.Dialect;
import com.networknt.schema.dialect.Dialects;
import com.networknt.schema.keyword.NonValidationKeyword;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Holds {@code docs/driftguard.schema.json} (for editors and CI) and the Java reader (what the
 * agent and {@code driftguard validate} run) to the same keys, types and defaults, and checks every
 * example configuration against both.
 *
 * <p>The schema is walked, not a list kept here: each key it declares is tried in the reader with
 * the values the schema offers (examples, enum values, defaults, {@code ~}, an interpolation) and
 * with values of a wrong type. The keys the reader knows come from its own "unknown key (known:
 * ...)" message, so neither side can gain or lose a key alone. The schema cannot express rules that
 * span keys (a health port must be published, start-first publishes one port); a value only has to
 * be accepted in one of the {@link #CONTEXTS}, and a wrong type must be rejected at its own path by
 * both.
 */
class ConfigSchemaTest {
  private static final Path SCHEMA = Path.of("docs/driftguard.schema.json");
  private static final Path BASE = Path.of("/etc/driftguard");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final TagLookup TAGS = TagLookup.of(Map.of("Name", "web_staging"));
  private static final String UNKNOWN = "zzUnknownKey";

  /** The environment variable that interpolation probes read. */
  private static final String VARIABLE = "DRIFTGUARD_SCHEMA_PROBE";

  /**
   * Configurations a probed value is set into. {@code full} has every section (an http check, a
   * load balancer, start-first, a registry login); {@code plain} has only what a service needs, so
   * the defaults that {@code full} overrides (docker checks, stop-first) can be tried too; {@code
   * local} reads a file source, where the allow-list of registries is optional.
   */
  private static final Map<String, String> CONTEXTS = new LinkedHashMap<>();

  static {
    CONTEXTS.put(
        "full",
"""
agent:
  registries:
    - host: "registry.example.com:5000"
      username: deploy
      passwordFile: /etc/driftguard/registry.password
services:
  - name: web
    desired: { allowedRegistries: ["123456789012.dkr.ecr.us-east-1.amazonaws.com"] }
    container: { ports: ["8080:8080"] }
    health: { type: http, port: 8080 }
    traffic:
      targetGroupArn: arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef
    rollout: { strategy: start-first, nextPort: 8082 }
""");
    CONTEXTS.put(
        "plain",
        """
        services:
          - name: web
            desired: { allowedRegistries: ["123456789012.dkr.ecr.us-east-1.amazonaws.com"] }
        """);
    CONTEXTS.put(
        "local",
        """
        services:
          - name: web
            desired: { file: ./desired/web }
        """);
  }

  private static JsonNode schemaTree;
  private static Schema schema;

  /** Every key the schema declares, depth first; list items are probed at index 0. */
  private static final List<Key> keys = new ArrayList<>();

  /** Every mapping the schema declares with its own keys, the root first. */
  private static final List<Key> mappings = new ArrayList<>();

  @TempDir static Path tmp;

  /** A key of the schema: where it is in a configuration and its (unresolved) subschema. */
  record Key(List<Object> at, JsonNode node) {
    /** The reader's spelling of the path, as in its error messages: {@code services[0].name}. */
    String path() {
      return pathOf(at);
    }
  }

  @BeforeAll
  static void loadSchema() throws IOException {
    schemaTree = JSON.readTree(SCHEMA.toFile());
    // The messages the YAML language server shows for a failed pattern or branch; no validation.
    Dialect draft7 =
        Dialect.builder(Dialects.getDraft7())
            .keyword(new NonValidationKeyword("patternErrorMessage"))
            .keyword(new NonValidationKeyword("errorMessage"))
            .build();
    schema = SchemaRegistry.withDefaultDialect(draft7).getSchema(schemaTree);
    mappings.add(new Key(List.of(), schemaTree));
    walk(schemaTree, List.of());
  }

  @Test
  void schema_isDraft07AndDeclaresTheWholeConfiguration() {
    assertThat(schemaTree.path("$schema").asText())
        .isEqualTo("http://json-schema.org/draft-07/schema#");
    assertThat(keys)
        .extracting(Key::path)
        .contains("agent.pollInterval", "services[0].rollout.runOnce");
    assertThat(mappings)
        .allSatisfy(
            m ->
                assertThat(
                        resolve(m.node()).path("additionalProperties").isBoolean()
                            && !resolve(m.node()).path("additionalProperties").asBoolean())
                    .as("%s rejects unknown keys, as the reader does", m.path())
                    .isTrue());
  }

  /** The rules across keys that the schema states too (editors show them) hold in the reader. */
  @Test
  void rulesAcrossKeys_thatTheSchemaStates_areTheReaders() {
    List<Object> service = List.of("services", 0);
    JsonNode both =
        with("plain", append(service, "desired"), object("file", "./d", "ssmParameter", "/d"));
    JsonNode noRegistries = with("plain", append(service, "desired"), object());
    JsonNode noProbePort = with("plain", append(service, "health"), object("type", "tcp"));
    JsonNode noNextPort =
        with("plain", append(service, "rollout"), object("strategy", "start-first"));
    List<String> failures = new ArrayList<>();
    failures.addAll(expectRejected(both, "services[0].desired", "ssmParameter and file"));
    failures.addAll(
        expectRejected(noRegistries, "services[0].desired.allowedRegistries", "an SSM source"));
    failures.addAll(expectRejected(noProbePort, "services[0].health.port", "a tcp check"));
    failures.addAll(expectRejected(noNextPort, "services[0].rollout.nextPort", "start-first"));
    assertThat(failures).isEmpty();
  }

  // --- disagreements found once between the schema and the reader, each kept fixed ---

  /** One service publishing 8080, into which each case sets its sections. */
  private static final String SERVICE =
      """
      services:
        - name: web
          container: { ports: ["8080:8080"] }
      """;

  /** A valid SSM source, for the cases that do not write their own {@code desired}. */
  private static final String SSM =
      "{ allowedRegistries: [\"123456789012.dkr.ecr.us-east-1.amazonaws.com\"] }";

  private static final String TARGET_GROUP =
      "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123abcd";

  /**
   * Why the cases are not read alike by the schema and the reader; empty when they are. Each row is
   * {@code WHERE | SECTIONS}: SECTIONS, a YAML flow mapping of service keys ({@code TG} standing
   * for a target group ARN), is set into {@link #SERVICE}, with {@link #SSM} as its desired unless
   * it has one; both must reject it at {@code services[0].WHERE}, or accept it when WHERE is {@code
   * accepted}.
   */
  private static List<String> disagreements(String rows) {
    List<String> failures = new ArrayList<>();
    for (String row : rows.strip().split("\n")) {
      String[] cells = row.split("\\|", 2);
      String where = cells[0].strip();
      String sections = cells[1].strip();
      ObjectNode config;
      ObjectNode service;
      try {
        config = (ObjectNode) YAML.readTree(SERVICE);
        service = (ObjectNode) config.get("services").get(0);
        service.set("desired", YAML.readTree(SSM));
        service.setAll((ObjectNode) YAML.readTree(sections.replace("TG", TARGET_GROUP)));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      if (!where.equals("accepted")) {
        failures.addAll(expectRejected(config, "services[0]." + where, sections));
        continue;
      }
      List<String> schemaErrors = validate(config);
      if (!schemaErrors.isEmpty()) {
        failures.add(sections + ": the schema rejects it: " + schemaErrors);
      }
      List<String> readerErrors = read(config, Map.of());
      if (!readerErrors.isEmpty()) {
        failures.add(sections + ": the reader rejects it: " + readerErrors);
      }
    }
    return failures;
  }

  /**
   * Rules the schema and the reader once read differently, each with the cases that keep them
   * alike: a table for {@link #disagreements}, under a name saying what both now do.
   */
  private static final Map<String, String> AGREED = new LinkedHashMap<>();

  static {
    AGREED.put(
        "allowedRegistries: ~ is absent: any registry for a file source, missing for SSM.",
        """
            accepted                  | { desired: { file: ./desired/web, allowedRegistries: ~ } }
            desired.allowedRegistries | { desired: { ssmParameter: /d/web, allowedRegistries: ~ } }
            """);
    AGREED.put(
        "file: ~ is absent, so the SSM source (and its allow-list rule) applies.",
        """
            accepted                  | { desired: { file: ~, ssmParameter: /d/web, allowedRegistries: [r.example] } }
            desired.allowedRegistries | { desired: { file: ~ } }
            """);
    AGREED.put(
        "A port that a rule requires is missing when written ~, as when left out.",
        """
            health.port      | { health: { type: tcp, port: ~ } }
            rollout.nextPort | { rollout: { strategy: start-first, nextPort: ~ } }
            """);
    AGREED.put(
        "Signal names are case-insensitive, with or without SIG (docs/configuration.md).",
        """
            accepted             | { container: { stopSignal: quit } }
            accepted             | { container: { stopSignal: sigquit } }
            accepted             | { container: { stopSignal: SigTerm } }
            accepted             | { container: { stopSignal: usr1 } }
            container.stopSignal | { container: { stopSignal: SIGRTMIN } }
            container.stopSignal | { container: { stopSignal: TERMS } }
            container.stopSignal | { container: { stopSignal: SIG } }
            """);
    AGREED.put(
        "The health type is case-insensitive, and an http check in capitals needs its port too.",
        """
            accepted    | { health: { type: HTTP, port: 8080 } }
            health.port | { health: { type: Tcp } }
            """);
    AGREED.put(
        "A count is 1 to nine digits, a percentage 1%..100%.",
        """
            rollout.maxUnavailable | { rollout: { maxUnavailable: "0" } }
            rollout.maxUnavailable | { rollout: { maxUnavailable: "0%" } }
            rollout.maxUnavailable | { rollout: { maxUnavailable: "101%" } }
            rollout.maxUnavailable | { rollout: { maxUnavailable: 1000000000 } }
            rollout.maxUnavailable | { rollout: { maxUnavailable: "1000000000" } }
            accepted               | { rollout: { maxUnavailable: "100%" } }
            accepted               | { rollout: { maxUnavailable: "1%" } }
            accepted               | { rollout: { maxUnavailable: 999999999 } }
            accepted               | { rollout: { maxUnavailable: "007" } }
            """);
    AGREED.put(
        "The waits that must be more than zero are refused at zero by both.",
        """
            health.interval         | { health: { interval: 0s } }
            health.timeout          | { health: { timeout: 0ms } }
            health.deadline         | { health: { deadline: 0h0m0s } }
            traffic.healthyDeadline | { traffic: { targetGroupArn: TG, healthyDeadline: 00s } }
            accepted                | { health: { interval: 10s, timeout: 100ms, deadline: 1m0s } }
            """);
    AGREED.put(
        "Keys that only one kind of check or strategy uses are refused by both with any other.",
        """
            health.port      | { health: { port: 8080 } }
            health.port      | { health: { type: None, port: 8080 } }
            health.path      | { health: { type: ~, path: /up } }
            health.path      | { health: { type: tcp, port: 8080, path: /up } }
            rollout.nextPort | { rollout: { nextPort: 8082 } }
            rollout.nextPort | { rollout: { strategy: stop-first, nextPort: 8082 } }
            accepted         | { health: { type: Http, port: 8080, path: /up } }
            accepted         | { health: { type: "${env:HOME:-tcp}", port: 8080 } }
            """);
    AGREED.put(
        "Whole numbers may be quoted (docs/configuration.md); their range holds quoted too.",
        """
            health.port             | { health: { type: tcp, port: "0" } }
            health.port             | { health: { type: tcp, port: "65536" } }
            traffic.port            | { traffic: { targetGroupArn: TG, port: "99999" } }
            rollout.nextPort        | { rollout: { strategy: start-first, nextPort: "70000" } }
            health.healthyThreshold | { health: { healthyThreshold: "0" } }
            health.healthyThreshold | { health: { healthyThreshold: "101" } }
            accepted                | { health: { type: tcp, port: "08080", healthyThreshold: "100", deadline: 10m } }
            accepted                | { rollout: { strategy: start-first, nextPort: "65535" } }
            """);
    AGREED.put(
        "Words from a fixed list are read in any case, with the rules that hang on them.",
        """
            accepted         | { rollout: { strategy: START-FIRST, nextPort: 8082 } }
            accepted         | { rollout: { strategy: Stop-First } }
            rollout.nextPort | { rollout: { strategy: Start-First } }
            rollout.nextPort | { rollout: { strategy: STOP-FIRST, nextPort: 8082 } }
            accepted         | { traffic: { targetGroupArn: TG, drainTimeout: AUTO } }
            rollout.strategy | { rollout: { strategy: start_first } }
            """);
    AGREED.put(
        "Text used as written is text: YAML's numbers and booleans are refused; env takes them.",
        """
            name                      | { name: 123 }
            container.name            | { container: { name: 0755 } }
            container.command         | { container: { command: [sleep, 3600] } }
            rollout.runOnce           | { rollout: { runOnce: [migrate, yes] } }
            desired.allowedRegistries | { desired: { allowedRegistries: [1.10] } }
            desired.ssmParameter      | { desired: { ssmParameter: 1234, allowedRegistries: [r.example] } }
            accepted                  | { name: "123", container: { command: [sleep, "3600"] } }
            accepted                  | { container: { env: { PORT: 8080, DEBUG: true, RATIO: 0.5 } } }
            """);
    AGREED.put(
        "Docker counts the stop timeout in whole seconds (docs/configuration.md).",
        """
            container.stopTimeout | { container: { stopTimeout: 1500ms } }
            container.stopTimeout | { container: { stopTimeout: 1m1ms } }
            accepted              | { container: { stopTimeout: 2000ms } }
            accepted              | { container: { stopTimeout: 1m0ms } }
            accepted              | { container: { stopTimeout: 0ms } }
            accepted              | { container: { stopTimeout: 1m30s } }
            """);
  }

  @TestFactory
  Stream<DynamicTest> rulesOnceReadDifferently_areReadAlikeByBoth() {
    return AGREED.entrySet().stream()
        .map(
            rule ->
                dynamicTest(
                    rule.getKey(), () -> assertThat(disagreements(rule.getValue())).isEmpty()));
  }

  /** {@code localhost} is loopback in any case. */
  @Test
  void statusListen_localhostInAnyCase_isAcceptedByBoth() {
    List<String> failures = new ArrayList<>();
    for (String listen : List.of("LOCALHOST:9274", "LocalHost:9274")) {
      failures.addAll(
          expectAccepted(
              new Key(List.of("agent", "status", "listen"), schemaTree),
              TextNode.valueOf(listen),
              Map.of()));
    }
    assertThat(failures).isEmpty();
  }

  private static ObjectNode object(String... keysAndValues) {
    ObjectNode object = JsonNodeFactory.instance.objectNode();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      object.put(keysAndValues[i], keysAndValues[i + 1]);
    }
    return object;
  }

  /** One test per probe, each run over every key (or mapping) the schema declares. */
  @TestFactory
  Stream<DynamicTest> everyKey_isReadAlikeByTheSchemaAndTheReader() {
    return Stream.of(
        everyKey(
            "every mapping lists exactly the keys the reader knows",
            mappings,
            ConfigSchemaTest::unknownKeyProbe),
        everyKey(
            "env and envFromSsm names follow the same rule in both",
            keys,
            ConfigSchemaTest::freeFormNameProbe),
        everyKey(
            "every value the schema offers is accepted by the reader",
            keys,
            ConfigSchemaTest::offeredValuesProbe),
        everyKey(
            "values of a wrong type are rejected by both at their path",
            keys,
            ConfigSchemaTest::wrongTypeProbe),
        everyKey(
            "interpolations validate wherever a plain value does",
            keys,
            ConfigSchemaTest::interpolationProbe),
        everyKey(
            "the schema's defaults are what the reader yields for an absent key",
            keys,
            ConfigSchemaTest::defaultProbe),
        everyKey(
            "numbers and booleans where text is asked are read alike by both",
            keys,
            ConfigSchemaTest::otherScalarTypeProbe),
        everyKey(
            "enum values in another case are read alike by both",
            keys,
            ConfigSchemaTest::caseProbe));
  }

  /** Runs {@code probe} on each key and fails with every problem found, not just the first. */
  private static DynamicTest everyKey(
      String name, List<Key> probed, Function<Key, List<String>> probe) {
    return dynamicTest(
        name,
        () ->
            assertThat(probed.stream().flatMap(key -> probe.apply(key).stream()).toList())
                .isEmpty());
  }

  /**
   * YAML reads unquoted {@code 0755}, {@code 1.10} and {@code yes} as numbers and a boolean; where
   * the schema takes no number or boolean (a text key, or the items of a list of texts), both
   * reject them at the key, and where it takes them both accept them.
   */
  private static List<String> otherScalarTypeProbe(Key key) {
    Set<String> types = types(key.node());
    if (types == null || isSection(key)) {
      return List.of();
    }
    JsonNode resolved = resolve(key.node());
    boolean listOfTexts = types.contains("array") && resolved.has("items");
    if (!types.contains("string") && !listOfTexts) {
      return List.of();
    }
    Set<String> taken = listOfTexts ? types(resolved.get("items")) : types;
    List<String> failures = new ArrayList<>();
    Map<String, JsonNode> probes = new LinkedHashMap<>();
    probes.put("integer", IntNode.valueOf(493));
    probes.put("number", DoubleNode.valueOf(1.1));
    probes.put("boolean", BooleanNode.TRUE);
    for (Map.Entry<String, JsonNode> probe : probes.entrySet()) {
      JsonNode value =
          listOfTexts
              ? JsonNodeFactory.instance.arrayNode().add(probe.getValue())
              : probe.getValue();
      boolean schemaTakes =
          taken != null
              && (taken.contains(probe.getKey())
                  || (probe.getKey().equals("integer") && taken.contains("number")));
      if (!schemaTakes) {
        failures.addAll(expectRejected(key, value));
      }
    }
    return failures;
  }

  /** An enum value written in capitals, or capitalised, is accepted by both or by neither. */
  private static List<String> caseProbe(Key key) {
    List<String> failures = new ArrayList<>();
    for (JsonNode sample : samples(key.node())) {
      if (!sample.isTextual() || !sample.asText().matches("[a-z][a-z-]*")) {
        continue;
      }
      String word = sample.asText();
      for (String variant :
          List.of(
              word.toUpperCase(Locale.ROOT),
              Character.toUpperCase(word.charAt(0)) + word.substring(1))) {
        JsonNode value = TextNode.valueOf(variant);
        boolean schema = false;
        boolean reader = false;
        for (String context : CONTEXTS.keySet()) {
          JsonNode config = with(context, key.at(), value);
          schema |= validate(config).isEmpty();
          reader |= read(config, Map.of()).stream().noneMatch(e -> e.startsWith(key.path()));
        }
        if (schema != reader) {
          failures.add(
              key.path()
                  + ": "
                  + variant
                  + (schema
                      ? " is accepted by the schema only"
                      : " is accepted by the reader only"));
        }
      }
    }
    return failures;
  }

  /** Values of a type the key does not take are rejected by both. */
  private static List<String> wrongTypeProbe(Key key) {
    return wrongValues(key).stream().flatMap(wrong -> expectRejected(key, wrong).stream()).toList();
  }

  /** An unknown key is rejected by both, and the reader lists as known what the schema declares. */
  private static List<String> unknownKeyProbe(Key mapping) {
    List<Object> at = append(mapping.at(), UNKNOWN);
    JsonNode config = with("full", at, TextNode.valueOf("x"));
    String unknown = pathOf(at) + ": unknown key";
    String message =
        read(config, Map.of()).stream().filter(e -> e.startsWith(unknown)).findFirst().orElse(null);
    if (message == null) {
      return List.of(pathOf(at) + ": the reader did not report the unknown key");
    }
    List<String> mismatches = new ArrayList<>();
    Set<String> declared = new TreeSet<>();
    resolve(mapping.node()).path("properties").fieldNames().forEachRemaining(declared::add);
    Matcher known = Pattern.compile("known: (.*)\\)").matcher(message);
    Set<String> readerKeys =
        known.find() ? new TreeSet<>(Arrays.asList(known.group(1).split(", "))) : Set.of();
    if (!readerKeys.equals(declared)) {
      mismatches.add(
          (mapping.at().isEmpty() ? "(top level)" : mapping.path())
              + ": the reader knows "
              + readerKeys
              + ", the schema declares "
              + declared);
    }
    if (validate(config).isEmpty()) {
      mismatches.add(pathOf(at) + ": the schema accepts an unknown key");
    }
    return mismatches;
  }

  /** A name that breaks the rule for env and envFromSsm names is rejected by both. */
  private static List<String> freeFormNameProbe(Key key) {
    if (!resolve(key.node()).has("patternProperties")) {
      return List.of();
    }
    JsonNode sample =
        samples(key.node()).stream().filter(JsonNode::isObject).findFirst().orElseThrow();
    JsonNode value = sample.elements().next();
    return expectRejected(key, JsonNodeFactory.instance.objectNode().set("NOT-A-NAME", value));
  }

  /** Every example, enum value and default of the key, and ~ where the schema allows it. */
  private static List<String> offeredValuesProbe(Key key) {
    List<String> failures = new ArrayList<>();
    List<JsonNode> values = samples(key.node());
    if (values.isEmpty() && !isSection(key)) {
      failures.add(key.path() + ": the schema offers no example, enum or default to try");
    }
    Set<String> types = types(key.node());
    if (types == null || types.contains("null")) {
      values.add(NullNode.getInstance());
    }
    for (JsonNode value : values) {
      failures.addAll(expectAccepted(key, value, Map.of()));
    }
    return failures;
  }

  /** ${env:NAME} holding a value the key takes passes both; the schema takes ${tag:KEY} too. */
  private static List<String> interpolationProbe(Key key) {
    Set<String> types = types(key.node());
    JsonNode sample =
        samples(key.node()).stream().filter(JsonNode::isValueNode).findFirst().orElse(null);
    if ((types != null && !types.contains("string")) || sample == null) {
      return List.of();
    }
    List<String> failures =
        new ArrayList<>(
            expectAccepted(
                key,
                TextNode.valueOf("${env:" + VARIABLE + "}"),
                Map.of(VARIABLE, sample.asText())));
    for (String context : CONTEXTS.keySet()) {
      if (!validate(with(context, key.at(), TextNode.valueOf("${tag:Name}"))).isEmpty()
          && validate(with(context, key.at(), sample)).isEmpty()) {
        failures.add(key.path() + ": the schema rejects ${tag:Name} in " + context);
      }
    }
    return failures;
  }

  /** Writing the schema's default reads the same as leaving the key out, wherever both load. */
  private static List<String> defaultProbe(Key key) {
    JsonNode fallback = key.node().get("default");
    if (fallback == null) {
      return List.of();
    }
    List<String> failures = new ArrayList<>();
    int compared = 0;
    for (String context : CONTEXTS.keySet()) {
      JsonNode written = with(context, key.at(), fallback);
      if (!validate(written).isEmpty() || !read(written, Map.of()).isEmpty()) {
        continue; // a rule across keys rules the default out here (e.g. docker with a port)
      }
      if (!parse(written).equals(parse(with(context, key.at(), null)))) {
        failures.add(
            key.path()
                + ": the schema's default "
                + fallback
                + " reads differently from absent in "
                + context);
      }
      compared++;
    }
    if (compared == 0) {
      failures.add(key.path() + ": its default " + fallback + " is accepted in no context");
    }
    return failures;
  }

  /**
   * The example configurations in docs/, the packaged defaults (agent/etc), the AMI's site drop-in
   * (packer/files) and the test configurations: each file against the schema, and the reader on
   * what a host would load, the packaged defaults with the site drop-in and the example as a later
   * drop-in.
   */
  @TestFactory
  Stream<DynamicTest> exampleConfigurations_passTheSchemaAndTheReader() throws IOException {
    Map<String, String> examples = new LinkedHashMap<>();
    try (Stream<Path> docs = Files.walk(Path.of("docs"))) {
      for (Path doc : docs.filter(p -> p.toString().endsWith(".md")).sorted().toList()) {
        examples.putAll(markdownConfigs(doc));
      }
    }
    examples.put(
        "agent/etc/driftguard.yaml", Files.readString(Path.of("agent/etc/driftguard.yaml")));
    try (Stream<Path> files = Files.list(Path.of("packer/files"))) {
      for (Path file : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        examples.put(file.toString(), Files.readString(file));
      }
    }
    try (Stream<Path> files = Files.list(Path.of("src/test/resources/config"))) {
      for (Path file : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        examples.put(file.toString(), Files.readString(file));
      }
    }
    DynamicTest found =
        dynamicTest(
            "the docs' examples are found",
            () ->
                assertThat(examples.keySet())
                    .anyMatch(n -> n.startsWith("docs/configuration.md:"))
                    .anyMatch(n -> n.startsWith("docs/install.md:")));
    return Stream.concat(
        Stream.of(found),
        examples.entrySet().stream()
            .map(e -> dynamicTest(e.getKey(), () -> checkExample(e.getKey(), e.getValue()))));
  }

  private static void checkExample(String name, String text) throws IOException {
    assertThat(validate(YAML.readTree(text))).as("%s against the schema", name).isEmpty();

    Path dir = Files.createTempDirectory(tmp, "example");
    Path main = dir.resolve("driftguard.yaml");
    Files.createDirectories(dir.resolve("conf.d"));
    Files.copy(Path.of("agent/etc/driftguard.yaml"), main);
    Files.copy(Path.of("packer/files/50-site.yaml"), dir.resolve("conf.d/50-site.yaml"));
    if (!name.equals("agent/etc/driftguard.yaml") && !name.startsWith("packer/files/")) {
      Files.writeString(dir.resolve("conf.d/90-example.yaml"), text);
    } else if (name.startsWith("packer/files/")) {
      Files.writeString(dir.resolve("conf.d").resolve(Path.of(name).getFileName()), text);
    }
    assertThat(ConfigLoader.validate(main, Map.of()))
        .as("%s as a drop-in over the packaged defaults, read by the agent", name)
        .isEmpty();
  }

  /**
   * The configurations among a Markdown file's code blocks: {@code yaml} blocks, and the {@code
   * <<'YAML'} here-documents of shell blocks, whose top level has agent: or services:.
   */
  private static Map<String, String> markdownConfigs(Path doc) throws IOException {
    Map<String, String> found = new LinkedHashMap<>();
    List<String> lines = Files.readAllLines(doc);
    Pattern fence = Pattern.compile("^(\\s*)```(\\w*)\\s*$");
    for (int i = 0; i < lines.size(); i++) {
      Matcher open = fence.matcher(lines.get(i));
      if (!open.matches()) {
        continue;
      }
      String indent = open.group(1);
      String language = open.group(2);
      int start = i + 1;
      int end = start;
      while (end < lines.size() && !lines.get(end).strip().equals("```")) {
        end++;
      }
      List<String> block =
          lines.subList(start, Math.min(end, lines.size())).stream()
              .map(l -> l.startsWith(indent) ? l.substring(indent.length()) : l)
              .toList();
      i = end;
      int from = 0;
      int to = block.size();
      if (!language.equals("yaml")) {
        int heredoc = 0;
        while (heredoc < block.size() && !block.get(heredoc).contains("<<'YAML'")) {
          heredoc++;
        }
        from = heredoc + 1;
        to = from < block.size() ? block.subList(from, block.size()).indexOf("YAML") + from : -1;
        if (to < from) {
          continue;
        }
      }
      String text = String.join("\n", block.subList(from, to)) + "\n";
      JsonNode tree;
      try {
        tree = YAML.readTree(text);
      } catch (IOException e) {
        continue; // not YAML: shell, console output
      }
      if (tree != null && tree.isObject() && (tree.has("agent") || tree.has("services"))) {
        found.put(doc + ":" + (start + from), text);
      }
    }
    return found;
  }

  // --- probes ---

  /** Empty when some context accepts {@code value} at {@code key} in both; else why not. */
  private static List<String> expectAccepted(
      Key key, JsonNode value, Map<String, String> environment) {
    StringBuilder why = new StringBuilder();
    for (String context : CONTEXTS.keySet()) {
      JsonNode config = with(context, key.at(), value);
      List<String> schemaErrors = validate(config);
      List<String> readerErrors = read(config, environment);
      if (schemaErrors.isEmpty() && readerErrors.isEmpty()) {
        return List.of();
      }
      why.append("\n    in ")
          .append(context)
          .append(": schema ")
          .append(schemaErrors)
          .append(", reader ")
          .append(readerErrors);
    }
    return List.of(key.path() + ": " + value + " is not accepted by both in any context" + why);
  }

  /** Why {@code value} at {@code key} is not rejected by both, at that key, in {@code full}. */
  private static List<String> expectRejected(Key key, JsonNode value) {
    return expectRejected(with("full", key.at(), value), key.path(), String.valueOf(value));
  }

  /** Why {@code config} is not rejected by both, the reader at or below {@code path}. */
  private static List<String> expectRejected(JsonNode config, String path, String what) {
    List<String> failures = new ArrayList<>();
    if (validate(config).isEmpty()) {
      failures.add(path + ": the schema accepts " + what);
    }
    List<String> errors = read(config, Map.of());
    if (errors.stream()
        .noneMatch(
            e ->
                e.startsWith(path + ":") || e.startsWith(path + ".") || e.startsWith(path + "["))) {
      failures.add(path + ": the reader reports nothing there for " + what + ": " + errors);
    }
    return failures;
  }

  /** Values of a type the key does not take, or (for a constrained string) a blank one. */
  private static List<JsonNode> wrongValues(Key key) {
    Set<String> types = types(key.node());
    List<JsonNode> wrong = new ArrayList<>();
    if (types == null) {
      return wrong;
    }
    ArrayNode list = JsonNodeFactory.instance.arrayNode().add("x");
    ObjectNode mapping = JsonNodeFactory.instance.objectNode().put("x", "y");
    if (!types.contains("array")) {
      wrong.add(list);
    }
    if (!types.contains("object")) {
      wrong.add(mapping);
    }
    if (types.contains("array") || types.contains("object")) {
      wrong.add(TextNode.valueOf("x"));
    }
    if (types.contains("integer")) {
      wrong.add(TextNode.valueOf("not-a-number"));
    }
    if (types.contains("boolean")) {
      wrong.add(TextNode.valueOf("maybe"));
    }
    if (types.contains("string") && constrained(key.node())) {
      wrong.add(TextNode.valueOf(" "));
    }
    if (!types.contains("null")) {
      wrong.add(NullNode.getInstance());
    }
    return wrong;
  }

  // --- the schema ---

  private static void walk(JsonNode node, List<Object> at) {
    JsonNode resolved = resolve(node);
    resolved
        .path("properties")
        .fields()
        .forEachRemaining(
            field -> {
              List<Object> child = append(at, field.getKey());
              Key key = new Key(child, field.getValue());
              keys.add(key);
              if (resolve(field.getValue()).has("properties")) {
                mappings.add(key);
              }
              walk(field.getValue(), child);
            });
    JsonNode items = resolved.get("items");
    if (items != null && resolve(items).has("properties")) {
      mappings.add(new Key(append(at, 0), items));
      walk(items, append(at, 0));
    }
  }

  private static JsonNode resolve(JsonNode node) {
    JsonNode resolved = node;
    while (resolved.has("$ref")) {
      resolved = schemaTree.at(resolved.get("$ref").asText().substring(1));
    }
    return resolved;
  }

  /** A mapping or list of mappings: its keys are probed, not the section itself. */
  private static boolean isSection(Key key) {
    JsonNode resolved = resolve(key.node());
    return resolved.has("properties")
        || resolved.has("patternProperties")
        || (resolved.has("items") && resolve(resolved.get("items")).has("properties"));
  }

  /** The JSON types a subschema allows, through $ref, allOf and anyOf; null when unconstrained. */
  private static Set<String> types(JsonNode node) {
    JsonNode resolved = resolve(node);
    Set<String> result = null;
    if (resolved.has("type")) {
      result = new LinkedHashSet<>();
      JsonNode type = resolved.get("type");
      if (type.isArray()) {
        for (JsonNode t : type) {
          result.add(t.asText());
        }
      } else {
        result.add(type.asText());
      }
    }
    if (resolved.has("enum")) {
      Set<String> enumTypes = new LinkedHashSet<>();
      resolved.get("enum").forEach(v -> enumTypes.add(typeOf(v)));
      result = intersect(result, enumTypes);
    }
    for (JsonNode member : resolved.path("allOf")) {
      result = intersect(result, types(member));
    }
    if (resolved.has("anyOf")) {
      Set<String> union = new LinkedHashSet<>();
      for (JsonNode member : resolved.get("anyOf")) {
        Set<String> t = types(member);
        if (t == null) {
          return result;
        }
        union.addAll(t);
      }
      result = intersect(result, union);
    }
    return result;
  }

  private static Set<String> intersect(Set<String> a, Set<String> b) {
    if (a == null) {
      return b == null ? null : new LinkedHashSet<>(b);
    }
    if (b != null) {
      a.retainAll(b);
    }
    return a;
  }

  private static String typeOf(JsonNode value) {
    return value.isNull()
        ? "null"
        : value.isTextual()
            ? "string"
            : value.isIntegralNumber()
                ? "integer"
                : value.isNumber()
                    ? "number"
                    : value.isBoolean() ? "boolean" : value.isArray() ? "array" : "object";
  }

  /** True when a pattern or enum limits the strings a subschema takes. */
  private static boolean constrained(JsonNode node) {
    JsonNode resolved = resolve(node);
    if (resolved.has("pattern") || resolved.has("enum") || resolved.has("const")) {
      return true;
    }
    for (String keyword : List.of("allOf", "anyOf")) {
      for (JsonNode member : resolved.path(keyword)) {
        if (constrained(member)) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * The values a subschema offers: examples, enum values and its default, through $ref and
   * allOf/anyOf.
   */
  private static List<JsonNode> samples(JsonNode node) {
    JsonNode resolved = resolve(node);
    List<JsonNode> found = new ArrayList<>();
    resolved.path("examples").forEach(found::add);
    resolved
        .path("enum")
        .forEach(
            v -> {
              if (!v.isNull()) {
                found.add(v);
              }
            });
    if (resolved.has("default")) {
      found.add(resolved.get("default"));
    }
    for (String keyword : List.of("allOf", "anyOf")) {
      resolved.path(keyword).forEach(member -> found.addAll(samples(member)));
    }
    return found.stream().distinct().collect(Collectors.toCollection(ArrayList::new));
  }

  private static List<String> validate(JsonNode config) {
    return schema.validate(config).stream().map(Error::toString).toList();
  }

  // --- the reader ---

  /** The reader's errors for {@code config}; empty when it loads. */
  private static List<String> read(JsonNode config, Map<String, String> environment) {
    try {
      ConfigLoader.parse(yaml(config), "probe.yaml", BASE, environment, TAGS);
      return List.of();
    } catch (ConfigException e) {
      return e.errors();
    }
  }

  private static AgentConfig parse(JsonNode config) {
    return ConfigLoader.parse(yaml(config), "probe.yaml", BASE, Map.of(), TAGS);
  }

  private static String yaml(JsonNode config) {
    try {
      return YAML.writeValueAsString(config);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The context with {@code value} set at {@code at} (mappings and a first list item made on the
   * way); a null {@code value} removes the key.
   */
  private static JsonNode with(String context, List<Object> at, JsonNode value) {
    ObjectNode root;
    try {
      root = (ObjectNode) YAML.readTree(CONTEXTS.get(context));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    JsonNode parent = root;
    for (int i = 0; i < at.size() - 1; i++) {
      Object step = at.get(i);
      JsonNode child =
          step instanceof Integer index ? parent.get(index) : parent.get((String) step);
      if (child == null || !child.isContainerNode()) {
        if (value == null) {
          return root;
        }
        child =
            at.get(i + 1) instanceof Integer
                ? JsonNodeFactory.instance.arrayNode().add(JsonNodeFactory.instance.objectNode())
                : JsonNodeFactory.instance.objectNode();
        if (step instanceof Integer index) {
          ((ArrayNode) parent).set(index, child);
        } else {
          ((ObjectNode) parent).set((String) step, child);
        }
      }
      parent = child;
    }
    Object last = at.get(at.size() - 1);
    if (value == null) {
      ((ObjectNode) parent).remove((String) last);
    } else {
      ((ObjectNode) parent).set((String) last, value);
    }
    return root;
  }

  private static List<Object> append(List<Object> at, Object step) {
    List<Object> result = new ArrayList<>(at);
    result.add(step);
    return List.copyOf(result);
  }

  private static String pathOf(List<Object> at) {
    StringBuilder path = new StringBuilder();
    for (Object step : at) {
      if (step instanceof Integer index) {
        path.append('[').append(index).append(']');
      } else {
        path.append(path.length() == 0 ? "" : ".").append(step);
      }
    }
    return path.toString();
  }
}
