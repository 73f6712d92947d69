package dev.driftguard.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.driftguard.model.PortBinding;
import dev.driftguard.model.ServiceSpec;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Reads {@code driftguard.yaml} into an {@link AgentConfig}, reporting every problem at once as
 * {@code path: message}. Stateless: the environment and the instance's tags are passed in, never
 * read from globals, so tests and {@code driftguard validate} see exactly what they give.
 *
 * <p>The file is read into a Jackson tree rather than bound to classes so that type errors, unknown
 * keys and invalid values all become path-prefixed messages instead of the first exception Jackson
 * would throw.
 */
public final class ConfigLoader {
  private static final String[] ROOT_KEYS = {"agent", "services"};
  private static final ObjectMapper YAML =
      new ObjectMapper(YAMLFactory.builder().build())
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  private ConfigLoader() {}

  /**
   * Reads and validates {@code file}, interpolating {@code ${env:NAME}} from {@code environment}
   * and {@code ${tag:KEY}} through {@code tags}. Relative paths in the file (desired.file,
   * stateDir, passwordFile) resolve against the file's folder.
   *
   * @throws ConfigException listing every problem, when the file is unreadable or invalid
   */
  public static AgentConfig load(Path file, Map<String, String> environment, TagLookup tags) {
    Objects.requireNonNull(tags, "tags (use TagLookup.none() when there are none)");
    String text = readFile(file);
    return parse(text, file.toString(), baseDir(file), environment, tags);
  }

  /**
   * Checks {@code file} as {@link #load} would, except that {@code ${tag:KEY}} placeholders are
   * accepted without asking for the tags (validation runs where there is no instance, e.g. in an
   * AMI build). Returns the problems, empty when the file is valid.
   */
  public static List<String> validate(Path file, Map<String, String> environment) {
    String text;
    try {
      text = readFile(file);
    } catch (ConfigException e) {
      return e.errors();
    }
    Problems problems = new Problems();
    read(text, baseDir(file), environment, null, problems);
    return problems.list();
  }

  /**
   * Reads configuration text; {@code source} names it in the exception message and {@code baseDir}
   * is where relative paths resolve. For tests and callers that hold the text already.
   *
   * @throws ConfigException listing every problem
   */
  public static AgentConfig parse(
      String yaml, String source, Path baseDir, Map<String, String> environment, TagLookup tags) {
    Objects.requireNonNull(tags, "tags (use TagLookup.none() when there are none)");
    Problems problems = new Problems();
    AgentConfig config = read(yaml, baseDir, environment, tags, problems);
    if (!problems.isEmpty() || config == null) {
      throw new ConfigException(source, problems.list());
    }
    return config;
  }

  /** {@code tags == null} is validate mode. Returns null when there were problems. */
  private static AgentConfig read(
      String yaml,
      Path baseDir,
      Map<String, String> environment,
      TagLookup tags,
      Problems problems) {
    JsonNode root = parseYaml(yaml, problems);
    if (root == null) {
      return null;
    }
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

    List<ServiceReader.Published> seen = new ArrayList<>();
    for (ServiceReader.Draft draft : drafts) {
      for (ServiceReader.Published port : draft.ports()) {
        for (ServiceReader.Published other : seen) {
          if (ServiceReader.conflict(port.binding(), other.binding())) {
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
      for (ServiceReader.Published port : seen) {
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
          && ServiceReader.conflict(
              new PortBinding(address.host(), address.port(), 1, "tcp"),
              new PortBinding(ip, port, 1, "tcp"))) {
        problems.add(path, "host port " + port + " is the agent's own (" + listen.getKey() + ")");
      }
    }
  }

  private static JsonNode parseYaml(String yaml, Problems problems) {
    // A parser rather than readValues(): that one would unwrap a top-level list into documents.
    try (JsonParser parser = YAML.getFactory().createParser(yaml)) {
      JsonNode first = YAML.readTree(parser);
      if (first == null) {
        return MissingNode.getInstance();
      }
      if (parser.nextToken() != null) {
        problems.add(
            "",
            "line "
                + parser.currentLocation().getLineNr()
                + ": a second YAML document ('---');"
                + " the configuration is one document");
        return null;
      }
      return first;
    } catch (JsonProcessingException e) {
      problems.add("", syntaxError(e));
      return null;
    } catch (IOException e) {
      problems.add("", "not YAML: " + e.getMessage());
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
