package dev.driftguard.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.driftguard.model.PortBinding;
import dev.driftguard.model.ServiceSpec;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * Reads {@code driftguard.yaml} and its drop-ins into an {@link AgentConfig}, reporting every
 * problem at once as {@code path: message}. Stateless: the environment and the instance's tags are
 * passed in, never read from globals, so tests and {@code driftguard validate} see exactly what
 * they give.
 *
 * <p>The files are read into Jackson trees rather than bound to classes so that type errors,
 * unknown keys and invalid values all become path-prefixed messages instead of the first exception
 * Jackson would throw.
 *
 * <p><b>Drop-ins.</b> After the main file come the files {@code conf.d/*.yaml} (and {@code *.yml})
 * in the main file's folder, in the byte order of their names: the package ships the defaults as
 * the main file, and an AMI build or user_data writes the site's settings as a drop-in, which no
 * package upgrade touches and which never becomes a dpkg conffile prompt. Mappings merge key by
 * key, a later file winning; anything else (a list such as {@code services}, a scalar, {@code ~})
 * replaces what came before. Errors in values that a drop-in set name that file.
 */
public final class ConfigLoader {
  /** The folder, beside the main file, whose {@code *.yaml} files are merged over it. */
  public static final String DROP_IN_DIR = "conf.d";

  private static final String[] ROOT_KEYS = {"agent", "services"};
  private static final ObjectMapper YAML =
      new ObjectMapper(YAMLFactory.builder().build())
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  private ConfigLoader() {}

  /**
   * Reads and validates {@code file} and its drop-ins ({@code conf.d/*.yaml} beside it),
   * interpolating {@code ${env:NAME}} from {@code environment} and {@code ${tag:KEY}} through
   * {@code tags}. Relative paths (desired.file, stateDir, passwordFile) resolve against the main
   * file's folder, in drop-ins too.
   *
   * @throws ConfigException listing every problem, when a file is unreadable or the result invalid
   */
  public static AgentConfig load(Path file, Map<String, String> environment, TagLookup tags) {
    Objects.requireNonNull(tags, "tags (use TagLookup.none() when there are none)");
    Problems problems = new Problems();
    JsonNode root = readLayers(file, problems);
    AgentConfig config =
        root == null ? null : read(root, baseDir(file), environment, tags, problems);
    if (!problems.isEmpty() || config == null) {
      throw new ConfigException(file.toString(), problems.list());
    }
    return config;
  }

  /**
   * Checks {@code file} and its drop-ins as {@link #load} would, except that {@code ${tag:KEY}}
   * placeholders are accepted without asking for the tags (validation runs where there is no
   * instance, e.g. in an AMI build). Returns the problems, empty when the configuration is valid.
   */
  public static List<String> validate(Path file, Map<String, String> environment) {
    Problems problems = new Problems();
    JsonNode root;
    try {
      root = readLayers(file, problems);
    } catch (ConfigException e) {
      return e.errors();
    }
    if (root != null) {
      read(root, baseDir(file), environment, null, problems);
    }
    return problems.list();
  }

  /**
   * Reads configuration text; {@code source} names it in the exception message and {@code baseDir}
   * is where relative paths resolve. For tests and callers that hold the text already; no drop-ins.
   *
   * @throws ConfigException listing every problem
   */
  public static AgentConfig parse(
      String yaml, String source, Path baseDir, Map<String, String> environment, TagLookup tags) {
    Objects.requireNonNull(tags, "tags (use TagLookup.none() when there are none)");
    Problems problems = new Problems();
    JsonNode root = parseYaml(yaml, "", problems);
    AgentConfig config = root == null ? null : read(root, baseDir, environment, tags, problems);
    if (!problems.isEmpty() || config == null) {
      throw new ConfigException(source, problems.list());
    }
    return config;
  }

  /**
   * The main file merged with its drop-ins; null when a file is not YAML (already reported).
   *
   * @throws ConfigException when the main file cannot be read
   */
  private static JsonNode readLayers(Path file, Problems problems) {
    JsonNode main = parseYaml(readFile(file), "", problems);
    List<Path> dropIns = dropIns(file, problems);
    if (dropIns.isEmpty()) {
      return main;
    }
    boolean failed = main == null;
    ObjectNode merged = null;
    if (main != null && main.isObject()) {
      merged = (ObjectNode) main;
    } else if (main != null && (main.isMissingNode() || main.isNull())) {
      merged = YAML.createObjectNode();
    }
    for (Path dropIn : dropIns) {
      String name = DROP_IN_DIR + "/" + dropIn.getFileName();
      String text;
      try {
        text = readFile(dropIn);
      } catch (ConfigException e) {
        e.errors().forEach(error -> problems.add("", error));
        failed = true;
        continue;
      }
      JsonNode layer = parseYaml(text, name + ": ", problems);
      if (layer == null) {
        failed = true;
      } else if (layer.isObject()) {
        if (merged != null) {
          merge(merged, (ObjectNode) layer, "", name, problems);
        }
      } else if (!layer.isMissingNode() && !layer.isNull()) {
        problems.add("", name + ": must be a mapping (agent:, services:), not a " + kind(layer));
        failed = true;
      }
    }
    // A main file that is not a mapping is reported by read(), as without drop-ins.
    return failed ? null : merged == null ? main : merged;
  }

  /** The drop-in files beside {@code file}, in name order; none when the folder is absent. */
  private static List<Path> dropIns(Path file, Problems problems) {
    Path parent = file.toAbsolutePath().normalize().getParent();
    Path dir = parent == null ? null : parent.resolve(DROP_IN_DIR);
    if (dir == null || !Files.isDirectory(dir)) {
      return List.of();
    }
    // Only *.yaml / *.yml, not hidden: editor backups, .dpkg-old and .rpmnew files stay out.
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .filter(f -> f.getFileName().toString().matches("[^.].*\\.ya?ml"))
          .filter(Files::isRegularFile)
          .sorted(Comparator.comparing(f -> f.getFileName().toString()))
          .toList();
    } catch (IOException e) {
      problems.add("", dir + ": cannot list the drop-in folder (" + e.getMessage() + ")");
      return List.of();
    }
  }

  /** Merges {@code layer} into {@code base}: mappings key by key, anything else replaced. */
  private static void merge(
      ObjectNode base, ObjectNode layer, String path, String source, Problems problems) {
    layer
        .fields()
        .forEachRemaining(
            field -> {
              String key = field.getKey();
              String childPath = path.isEmpty() ? key : path + "." + key;
              JsonNode existing = base.get(key);
              if (existing != null && existing.isObject() && field.getValue().isObject()) {
                merge(
                    (ObjectNode) existing,
                    (ObjectNode) field.getValue(),
                    childPath,
                    source,
                    problems);
              } else {
                base.set(key, field.getValue());
                problems.noteSource(childPath, source);
              }
            });
  }

  private static String kind(JsonNode node) {
    return node.isArray() ? "list" : "single value";
  }

  /** {@code tags == null} is validate mode. Returns null when there were problems. */
  private static AgentConfig read(
      JsonNode root,
      Path baseDir,
      Map<String, String> environment,
      TagLookup tags,
      Problems problems) {
    if (root.isMissingNode() || root.isNull()) {
      problems.add("", "the file is empty; it needs at least a services: list");
      return null;
    }
    Interpolator interpolator = new Interpolator(environment, tags);
    YamlMap top = YamlMap.root(root, problems, interpolator, ROOT_KEYS);
    if (!root.isObject()) {
      return null;
    }

    AgentSettings agent =
        AgentSettingsReader.read(top.map("agent", AgentSettingsReader.KEYS), baseDir);

    List<ServiceReader.Draft> drafts = new ArrayList<>();
    if (!top.has("services")) {
      problems.add("services", "required: a list with at least one service");
    } else if (top.isList("services") && top.listSize("services") == 0) {
      problems.add("services", "must list at least one service");
    }
    int index = 0;
    for (YamlMap service : top.maps("services", ServiceReader.KEYS)) {
      // An entry that is not a mapping is reported once, not again as every missing key.
      JsonNode entry = root.get("services").get(index++);
      if (service.present()) {
        drafts.add(ServiceReader.read(service, baseDir));
      } else if (entry.isNull() || entry.asText().isEmpty()) {
        problems.add(service.path(), "empty entry (a service needs at least a name)");
      }
    }
    checkAcrossServices(drafts, agent, problems);
    checkSelfReport(drafts, agent, problems);

    if (!problems.isEmpty()) {
      return null;
    }
    List<ServiceSpec> services = drafts.stream().map(ServiceReader.Draft::spec).toList();
    return new AgentConfig(agent, services);
  }

  /** Names and host ports are shared by everything on the host, so they must not collide. */
  private static void checkAcrossServices(
      List<ServiceReader.Draft> drafts, AgentSettings agent, Problems problems) {
    Map<String, String> names = new HashMap<>();
    for (ServiceReader.Draft draft : drafts) {
      if (draft.name() == null) {
        continue;
      }
      String previous = names.putIfAbsent(draft.name(), draft.namePath());
      if (previous != null) {
        problems.add(
            draft.namePath(), "service name '" + draft.name() + "' is already used at " + previous);
      }
    }
    Map<String, String> containers = new HashMap<>();
    for (ServiceReader.Draft draft : drafts) {
      if (draft.spec() == null) {
        continue;
      }
      String container = draft.spec().containerName();
      String previous = containers.putIfAbsent(container, draft.namePath());
      if (previous != null && !draft.spec().name().equals(container)) {
        problems.add(
            draft.namePath().replace(".name", ".container.name"),
            "container name '" + container + "' is already used by the service at " + previous);
      }
    }

    List<PublishedPort> seen = new ArrayList<>();
    for (ServiceReader.Draft draft : drafts) {
      for (PublishedPort port : draft.ports()) {
        for (PublishedPort other : seen) {
          if (PublishedPort.conflict(port.binding(), other.binding())) {
            problems.add(
                port.path(),
                "host port "
                    + port.binding().hostPort()
                    + " is already published by "
                    + other.path());
          }
        }
        checkAgentPorts(
            port.binding().hostIp(),
            port.binding().hostPort(),
            port.binding().protocol(),
            port.path(),
            agent,
            problems);
      }
      seen.addAll(draft.ports());
    }

    Map<Integer, String> nextPorts = new HashMap<>();
    for (ServiceReader.Draft draft : drafts) {
      int next = draft.nextPort();
      if (next == 0) {
        continue;
      }
      for (PublishedPort port : seen) {
        if (port.binding().hostPort() == next && port.binding().protocol().equals("tcp")) {
          problems.add(
              draft.nextPortPath(),
              "host port "
                  + next
                  + " is already published by "
                  + port.path()
                  + " (start-first needs a port that is free while the old container runs)");
        }
      }
      String previous = nextPorts.putIfAbsent(next, draft.nextPortPath());
      if (previous != null) {
        problems.add(draft.nextPortPath(), "host port " + next + " is also used by " + previous);
      }
      checkAgentPorts("", next, "tcp", draft.nextPortPath(), agent, problems);
    }
  }

  /**
   * A deploy that fails and rolls back may leave a service without a healthy container for its stop
   * timeout and two health deadlines (the new container's, then the restored one's). The
   * self-report must wait longer, or an ordinary failed deploy would get the host replaced.
   */
  private static void checkSelfReport(
      List<ServiceReader.Draft> drafts, AgentSettings agent, Problems problems) {
    if (!agent.selfReportOn()) {
      return;
    }
    for (ServiceReader.Draft draft : drafts) {
      if (draft.spec() == null) {
        continue;
      }
      ServiceSpec spec = draft.spec();
      Duration longest =
          spec.container().stopTimeout().plus(spec.health().deadline().multipliedBy(2));
      if (agent.selfReportAfter().compareTo(longest) <= 0) {
        problems.add(
            "agent.selfReport.unhealthyAfter",
            Durations.format(agent.selfReportAfter())
                + " is not longer than a failed deploy of "
                + draft.namePath().replace(".name", "")
                + " may leave it without a healthy container (stopTimeout "
                + Durations.format(spec.container().stopTimeout())
                + " + 2 x health.deadline "
                + Durations.format(spec.health().deadline())
                + " = "
                + Durations.format(longest)
                + ")");
      }
    }
  }

  private static void checkAgentPorts(
      String ip, int port, String protocol, String path, AgentSettings agent, Problems problems) {
    if (!protocol.equals("tcp")) {
      return;
    }
    for (Map.Entry<String, ListenAddress> listen :
        Map.of(
                "agent.metrics.listen",
                agent.metricsListen(),
                "agent.status.listen",
                agent.statusListen())
            .entrySet()) {
      ListenAddress address = listen.getValue();
      if (address.port() != 0
          && PublishedPort.conflict(
              new PortBinding(address.host(), address.port(), 1, "tcp"),
              new PortBinding(ip, port, 1, "tcp"))) {
        problems.add(path, "host port " + port + " is the agent's own (" + listen.getKey() + ")");
      }
    }
  }

  /** {@code prefix} names the file in syntax errors ({@code "conf.d/50-site.yaml: "}, or none). */
  private static JsonNode parseYaml(String yaml, String prefix, Problems problems) {
    // A parser rather than readValues(): that one would unwrap a top-level list into documents.
    try (JsonParser parser = YAML.getFactory().createParser(yaml)) {
      JsonNode first = YAML.readTree(parser);
      if (first == null) {
        return MissingNode.getInstance();
      }
      if (parser.nextToken() != null) {
        problems.add(
            "",
            prefix
                + "line "
                + parser.currentLocation().getLineNr()
                + ": a second YAML document ('---');"
                + " the configuration is one document");
        return null;
      }
      return first;
    } catch (JsonProcessingException e) {
      problems.add("", prefix + syntaxError(e));
      return null;
    } catch (IOException e) {
      problems.add("", prefix + "not YAML: " + e.getMessage());
      return null;
    }
  }

  /** {@code line L, column C: problem}, from SnakeYAML's mark when it has one (it is exact). */
  private static String syntaxError(JsonProcessingException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof org.yaml.snakeyaml.error.MarkedYAMLException marked
          && marked.getProblemMark() != null) {
        String problem = marked.getProblem() == null ? "invalid YAML" : marked.getProblem();
        String context = marked.getContext() == null ? "" : " (" + marked.getContext() + ")";
        return "line "
            + (marked.getProblemMark().getLine() + 1)
            + ", column "
            + (marked.getProblemMark().getColumn() + 1)
            + ": "
            + problem.strip()
            + context;
      }
    }
    JsonLocation at = e.getLocation();
    String message = e.getOriginalMessage() == null ? "invalid YAML" : e.getOriginalMessage();
    if (message.startsWith("Duplicate field")) {
      message = message.replace("Duplicate field", "duplicate key");
    }
    return at == null
        ? message
        : "line " + at.getLineNr() + ", column " + at.getColumnNr() + ": " + message;
  }

  private static String readFile(Path file) {
    try {
      byte[] bytes = Files.readAllBytes(file);
      return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
    } catch (NoSuchFileException e) {
      throw new ConfigException(file.toString(), List.of(file + ": no such file"));
    } catch (CharacterCodingException e) {
      throw new ConfigException(file.toString(), List.of(file + ": not UTF-8 text"));
    } catch (IOException e) {
      throw new ConfigException(
          file.toString(),
          List.of(
              file
                  + ": cannot read ("
                  + e.getClass().getSimpleName()
                  + ": "
                  + e.getMessage()
                  + ")"));
    }
  }

  private static Path baseDir(Path file) {
    Path parent = file.toAbsolutePath().normalize().getParent();
    return parent == null ? Path.of("/") : parent;
  }
}
