package dev.driftguard.runtime;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.command.InspectImageResponse;
import com.github.dockerjava.api.command.PullImageCmd;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.AuthConfig;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Image;
import com.github.dockerjava.api.model.InternetProtocol;
import com.github.dockerjava.api.model.Ports;
import com.github.dockerjava.api.model.RestartPolicy;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.core.RemoteApiVersion;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import com.github.dockerjava.transport.DockerHttpClient;
import dev.driftguard.model.ContainerInfo;
import dev.driftguard.model.ContainerSpec;
import dev.driftguard.model.ImageRef;
import dev.driftguard.model.PortBinding;
import dev.driftguard.model.RegistryCredential;
import dev.driftguard.model.RunSpec;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link ContainerRuntime} on the Docker Engine API, through docker-java and its Apache httpclient5
 * transport (unix socket or TCP).
 *
 * <p>Containers are addressed by exact name only: Docker also resolves a name as an id prefix, so
 * every mutation first resolves the name to an id, and a container whose name merely looks like a
 * prefix of another container's id is never touched.
 *
 * <p>The engine API version is negotiated on first use, like the docker CLI does: the newest
 * version both the engine and docker-java speak, and at least 1.41 (Docker 20.10, Debian 12's
 * {@code docker.io}). Negotiating lazily lets the agent start before the engine is up.
 */
public final class DockerContainerRuntime implements ContainerRuntime, AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(DockerContainerRuntime.class);

  /** Docker 20.10 (Debian 12): the oldest engine driftguard supports. */
  static final RemoteApiVersion MIN_API_VERSION = RemoteApiVersion.VERSION_1_41;

  /** The newest API version docker-java 3.4 models; newer engines still serve it. */
  static final RemoteApiVersion MAX_API_VERSION = RemoteApiVersion.VERSION_1_44;

  private static final Duration CONNECTION_TIMEOUT = Duration.ofSeconds(5);

  /**
   * Long enough for the slowest blocking engine call: {@code POST /containers/{id}/stop} only
   * answers after the stop timeout plus the kill (validation bounds the stop timeout to fit, see
   * {@link ContainerSpec#MAX_STOP_TIMEOUT}), and a pull streams progress at least this often. A
   * hung engine therefore stalls one reconcile pass for at most this long.
   */
  private static final Duration RESPONSE_TIMEOUT = ContainerSpec.dockerResponseTimeout();

  private static final Duration PULL_TIMEOUT = Duration.ofMinutes(15);

  /** Words of a registry refusal in engine messages (the engine reports it as a 500). */
  private static final Pattern UNAUTHORIZED =
      Pattern.compile(
          "\\b(unauthorized|denied|401|403|forbidden|authentication required"
              + "|no basic auth credentials)\\b",
          Pattern.CASE_INSENSITIVE);

  private static final Pattern DIGEST_HEX = Pattern.compile("sha256:[0-9a-f]+");
  private static final String NEVER_STARTED = "0001-01-01T00:00:00Z";

  private final URI dockerHost;
  private final DockerHttpClient httpClient;
  private DockerClient client;

  /** Per container name, what {@link #inspectAll} last inspected and the listing it matched. */
  private final Map<String, Seen> seen = new HashMap<>();

  DockerContainerRuntime(URI dockerHost, DockerHttpClient httpClient) {
    this.dockerHost = dockerHost;
    this.httpClient = httpClient;
  }

  /**
   * A runtime for the engine at {@code dockerHost}, e.g. {@code unix:///var/run/docker.sock}.
   * Nothing is contacted until the first call.
   */
  public static DockerContainerRuntime create(URI dockerHost) {
    DockerHttpClient http =
        new ApacheDockerHttpClient.Builder()
            .dockerHost(dockerHost)
            .connectionTimeout(CONNECTION_TIMEOUT)
            .responseTimeout(RESPONSE_TIMEOUT)
            .maxConnections(16)
            .build();
    return new DockerContainerRuntime(dockerHost, http);
  }

  @Override
  public String pull(ImageRef image, RegistryCredential credential) {
    try {
      return pullVerified(image, credential);
    } catch (ImagePullException e) {
      throw e;
    } catch (ContainerRuntimeException e) {
      // An unreachable engine is a failed pull too, as far as the deployer is concerned.
      throw new ImagePullException(e.getMessage(), e);
    }
  }

  private String pullVerified(ImageRef image, RegistryCredential credential) {
    String pinned = image.pinned();
    Optional<InspectImageResponse> local = inspectImage(pinned);
    if (local.isPresent() && repoDigests(local.get()).contains(pinned)) {
      logger.debug("Image present, pull skipped [image={}]", pinned);
      return local.get().getId();
    }
    // The tag parameter of POST /images/create takes a digest, which pins what is pulled.
    PullImageCmd cmd =
        client().pullImageCmd(image.repositoryName()).withTag(image.digest().value());
    if (credential != null) {
      cmd.withAuthConfig(
          new AuthConfig()
              .withRegistryAddress(credential.registry())
              .withUsername(credential.username())
              .withPassword(credential.password()));
    }
    long started = System.nanoTime();
    PullCallback progress = new PullCallback();
    try (PullCallback callback = cmd.exec(progress)) {
      if (!callback.await(PULL_TIMEOUT)) {
        throw new ImagePullException(
            "pull of " + pinned + " did not finish within " + PULL_TIMEOUT.toMinutes() + " min",
            null);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ImagePullException("pull of " + pinned + " was interrupted", e);
    } catch (IOException e) {
      logger.debug("Closing the pull stream of {} failed", pinned, e);
    } catch (ImagePullException e) {
      throw e;
    } catch (RuntimeException e) {
      throw pullFailure(image, credential, e.getMessage(), e);
    }
    if (progress.failure() != null) {
      throw pullFailure(image, credential, progress.failure().getMessage(), progress.failure());
    }
    if (progress.streamError() != null) {
      throw pullFailure(image, credential, progress.streamError(), null);
    }
    InspectImageResponse pulled =
        inspectImage(pinned)
            .orElseThrow(
                () ->
                    new ImagePullException(
                        "digest mismatch: after the pull no local image carries " + pinned, null));
    List<String> digests = repoDigests(pulled);
    if (!digests.contains(pinned)) {
      throw new ImagePullException(
          "digest mismatch: pulled image "
              + pulled.getId()
              + " has RepoDigests "
              + digests
              + ", not "
              + pinned,
          null);
    }
    logger.info(
        "Pulled image [image={}, id={}, seconds={}]",
        pinned,
        pulled.getId(),
        TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started));
    return pulled.getId();
  }

  @Override
  public Optional<ContainerInfo> inspect(String name) {
    return call("inspect", name, () -> find(name).map(DockerContainerRuntime::toInfo));
  }

  /**
   * One {@code GET /containers/json?all=1} filtered by the exact names. The engine's listing lacks
   * what only an inspect tells (restart count, start time, exit code), so each container is
   * inspected once and its answer kept while the listing shows the same id, state and status text:
   * the status text carries the health ("Up 2 hours (healthy)") and the uptime, so a restart, a
   * health change or an exit shows there and is inspected again. In sync, that is one call a pass.
   */
  @Override
  public Map<String, ContainerInfo> inspectAll(Collection<String> names) {
    if (names.isEmpty()) {
      return Map.of();
    }
    return call(
        "inspect",
        String.join(",", names),
        () -> {
          List<String> patterns = new ArrayList<>();
          for (String name : names) {
            // The engine matches name filters as regular expressions; names allow '.'.
            patterns.add("^/?" + name.replace(".", "\\.") + "$");
          }
          Map<String, ContainerInfo> found = new LinkedHashMap<>();
          for (Container c :
              client().listContainersCmd().withShowAll(true).withNameFilter(patterns).exec()) {
            for (String listed : nonNull(c.getNames())) {
              String name = listed.startsWith("/") ? listed.substring(1) : listed;
              if (names.contains(name)) {
                observed(name, c).ifPresent(info -> found.put(name, info));
              }
            }
          }
          synchronized (seen) {
            seen.keySet().removeIf(name -> names.contains(name) && !found.containsKey(name));
          }
          return found;
        });
  }

  /** The inspect answer for a listed container, from the last one while the listing agrees. */
  private Optional<ContainerInfo> observed(String name, Container listed) {
    String signature = listed.getId() + " " + listed.getState() + " " + listed.getStatus();
    synchronized (seen) {
      Seen last = seen.get(name);
      if (last != null && last.signature().equals(signature)) {
        return Optional.of(last.info());
      }
    }
    Optional<ContainerInfo> info;
    try {
      // By id: the listing named it exactly, and an id cannot be mistaken for another name.
      info = Optional.of(toInfo(client().inspectContainerCmd(listed.getId()).exec()));
    } catch (NotFoundException e) {
      info = Optional.empty();
    }
    synchronized (seen) {
      if (info.isPresent()) {
        seen.put(name, new Seen(signature, info.get()));
      } else {
        seen.remove(name);
      }
    }
    return info;
  }

  private record Seen(String signature, ContainerInfo info) {}

  @Override
  public ContainerInfo create(String name, RunSpec spec) {
    return call(
        "create",
        name,
        () -> {
          List<ExposedPort> exposed = new ArrayList<>();
          Ports bindings = new Ports();
          for (PortBinding port : spec.container().ports()) {
            ExposedPort containerPort =
                new ExposedPort(port.containerPort(), InternetProtocol.parse(port.protocol()));
            if (!exposed.contains(containerPort)) {
              exposed.add(containerPort);
            }
            bindings.bind(
                containerPort,
                port.hostIp().isEmpty()
                    ? Ports.Binding.bindPort(port.hostPort())
                    : Ports.Binding.bindIpAndPort(port.hostIp(), port.hostPort()));
          }
          List<Bind> binds = spec.container().volumes().stream().map(Bind::parse).toList();
          HostConfig host =
              HostConfig.newHostConfig()
                  .withPortBindings(bindings)
                  .withBinds(binds)
                  // The service must come back after a dockerd restart or a reboot even while
                  // the agent is down. The agent still sees a crash loop: a restart during HEALTH
                  // fails the check (RestartCount), and stop() is a manual stop that the engine
                  // honours, so a stopped <service>-previous stays stopped.
                  .withRestartPolicy(
                      spec.oneTime()
                          ? RestartPolicy.noRestart()
                          : RestartPolicy.unlessStoppedRestart());
          if (spec.container().memoryBytes() > 0) {
            host.withMemory(spec.container().memoryBytes());
          }
          List<String> env = new ArrayList<>();
          spec.environment().forEach((key, value) -> env.add(key + "=" + value));
          var cmd =
              client()
                  .createContainerCmd(spec.image().pinned())
                  .withName(name)
                  .withLabels(spec.labels())
                  .withEnv(env)
                  .withExposedPorts(exposed)
                  .withStopSignal(spec.container().stopSignal())
                  .withStopTimeout(seconds(spec.container().stopTimeout()))
                  .withHostConfig(host);
          if (!spec.container().command().isEmpty()) {
            cmd.withCmd(spec.container().command());
          }
          try {
            cmd.exec();
          } catch (ConflictException e) {
            throw new ContainerRuntimeException(
                "create",
                "create of container '" + name + "' failed: a container with that name exists",
                e);
          } catch (NotFoundException e) {
            throw new ContainerRuntimeException(
                "create",
                "create of container '"
                    + name
                    + "' failed: image "
                    + spec.image().pinned()
                    + " is not present locally (pull it first)",
                e);
          }
          logger.info(
              "Created container [container={}, image={}, specHash={}]",
              name,
              spec.image().pinned(),
              spec.specHash());
          return find(name)
              .map(DockerContainerRuntime::toInfo)
              .orElseThrow(
                  () ->
                      new ContainerRuntimeException(
                          "create", "container '" + name + "' vanished right after create", null));
        });
  }

  @Override
  public void start(String name) {
    call(
        "start",
        name,
        () -> {
          String id = requireId("start", name);
          try {
            client().startContainerCmd(id).exec();
          } catch (NotModifiedException e) {
            // Already running: starting is idempotent.
          }
          return null;
        });
  }

  @Override
  public void stop(String name, String signal, Duration timeout) {
    call(
        "stop",
        name,
        () -> {
          Optional<InspectContainerResponse> found = find(name);
          if (found.isEmpty()) {
            return null;
          }
          InspectContainerResponse container = found.get();
          String id = container.getId();
          try {
            // POST /containers/{id}/stop sends the container's own StopSignal (API 1.41 has no
            // signal parameter). The agent creates containers with the service's signal, so
            // they agree; for a container made by hand, send the requested signal first.
            if (Boolean.TRUE.equals(container.getState().getRunning())
                && !sameSignal(signal, stopSignalOf(container))) {
              client().killContainerCmd(id).withSignal(signal).exec();
            }
            client().stopContainerCmd(id).withTimeout(seconds(timeout)).exec();
          } catch (NotModifiedException | NotFoundException e) {
            // Not running or gone: stopping is idempotent.
          } catch (ConflictException e) {
            // Kill of a container that stopped meanwhile.
            logger.debug("Container stopped meanwhile [container={}]", name);
          }
          return null;
        });
  }

  @Override
  public void remove(String name) {
    call(
        "remove",
        name,
        () -> {
          Optional<InspectContainerResponse> found = find(name);
          if (found.isEmpty()) {
            return null;
          }
          try {
            client().removeContainerCmd(found.get().getId()).withForce(true).exec();
            logger.info("Removed container [container={}]", name);
          } catch (NotFoundException e) {
            // Removed meanwhile: removing is idempotent.
          } catch (ConflictException e) {
            if (!String.valueOf(e.getMessage()).contains("already in progress")) {
              throw e;
            }
          }
          return null;
        });
  }

  @Override
  public void rename(String from, String to) {
    call(
        "rename",
        from,
        () -> {
          String id = requireId("rename", from);
          try {
            client().renameContainerCmd(id).withName(to).exec();
          } catch (ConflictException e) {
            throw new ContainerRuntimeException(
                "rename",
                "rename of container '" + from + "' to '" + to + "' failed: the name is taken",
                e);
          }
          logger.info("Renamed container [container={}, to={}]", from, to);
          return null;
        });
  }

  @Override
  public List<LocalImage> images(String repositoryName) {
    return call(
        "images",
        repositoryName,
        () -> {
          List<LocalImage> result = new ArrayList<>();
          // Filtering here rather than with the engine's reference filter keeps digest-only
          // images (pulled by digest, never tagged) in the list on every engine version.
          for (Image image : client().listImagesCmd().exec()) {
            List<String> digests = nonNull(image.getRepoDigests());
            List<String> tags = nonNull(image.getRepoTags());
            boolean ours =
                digests.stream().anyMatch(d -> d.startsWith(repositoryName + "@"))
                    || tags.stream().anyMatch(t -> t.startsWith(repositoryName + ":"));
            if (ours) {
              List<String> real = digests.stream().filter(d -> !d.startsWith("<none>")).toList();
              Instant created =
                  image.getCreated() == null
                      ? Instant.EPOCH
                      : Instant.ofEpochSecond(image.getCreated());
              result.add(new LocalImage(image.getId(), real, created));
            }
          }
          return result;
        });
  }

  @Override
  public void removeImage(String imageId) {
    call(
        "removeImage",
        imageId,
        () -> {
          // A stopped container (the <service>-previous kept for rollback) needs its image as
          // much as a running one does, so any container that uses the image keeps it.
          for (Container container : client().listContainersCmd().withShowAll(true).exec()) {
            if (imageId.equals(container.getImageId())) {
              logger.info(
                  "Image kept: in use [image={}, container={}]",
                  imageId,
                  Arrays.toString(container.getNames()));
              return null;
            }
          }
          try {
            // Force removes every tag and repo digest of the image at once. The engine still
            // refuses to remove an image a running container uses.
            client().removeImageCmd(imageId).withForce(true).exec();
            logger.info("Removed image [image={}]", imageId);
          } catch (ConflictException e) {
            logger.info(
                "Image kept: the engine refused [image={}, reason={}]", imageId, e.getMessage());
          } catch (DockerException e) {
            if (!imageAlreadyGone(e.getHttpStatus(), e.getMessage())) {
              throw e;
            }
          }
          return null;
        });
  }

  @Override
  public EngineInfo engineInfo() {
    return call(
        "info",
        dockerHost.toString(),
        () -> {
          var info = client().infoCmd().exec();
          // docker-java's Info does not model LiveRestoreEnabled; the raw document has it.
          Object liveRestore = info.getRawValues().get("LiveRestoreEnabled");
          return new EngineInfo(
              info.getServerVersion() == null ? "unknown" : info.getServerVersion(),
              Boolean.TRUE.equals(liveRestore));
        });
  }

  /** Closes the connection pool to the engine. */
  @Override
  public void close() {
    try {
      httpClient.close();
    } catch (IOException e) {
      logger.debug("Closing the Docker client failed", e);
    }
  }

  /** The client, negotiating the API version on first use. */
  private synchronized DockerClient client() {
    if (client == null) {
      DockerClient unversioned = DockerClientImpl.getInstance(config(null), httpClient);
      String reported;
      try {
        reported = unversioned.versionCmd().exec().getApiVersion();
      } catch (RuntimeException e) {
        throw new ContainerRuntimeException(
            "connect",
            "the Docker engine at "
                + dockerHost
                + " is unreachable ("
                + e.getMessage()
                + "); is docker running and may this user use its socket?",
            e);
      }
      RemoteApiVersion engine = RemoteApiVersion.parseConfig(reported);
      if (!engine.isGreaterOrEqual(MIN_API_VERSION)) {
        throw new ContainerRuntimeException(
            "connect",
            "the Docker engine at "
                + dockerHost
                + " speaks API "
                + reported
                + "; driftguard needs "
                + MIN_API_VERSION.getVersion()
                + " (Docker 20.10) or newer",
            null);
      }
      RemoteApiVersion chosen = engine.isGreater(MAX_API_VERSION) ? MAX_API_VERSION : engine;
      logger.info(
          "Connected to Docker [host={}, engineApi={}, api={}]",
          dockerHost,
          reported,
          chosen.getVersion());
      client = DockerClientImpl.getInstance(config(chosen), httpClient);
    }
    return client;
  }

  private DefaultDockerClientConfig config(RemoteApiVersion version) {
    // The plain builder, not createDefaultConfigBuilder(): no DOCKER_* environment variables,
    // system properties or ~/.docker/config.json credentials leak into the agent.
    DefaultDockerClientConfig.Builder builder =
        new DefaultDockerClientConfig.Builder().withDockerHost(dockerHost.toString());
    if (version != null) {
      builder.withApiVersion(version);
    }
    return builder.build();
  }

  /**
   * The container's Config.StopSignal, which docker-java's ContainerConfig does not model; the
   * inspect response keeps the raw document. SIGTERM, the engine's default, when unset.
   */
  static String stopSignalOf(InspectContainerResponse container) {
    Object config = container.getRawValues().get("Config");
    if (config instanceof Map<?, ?> map
        && map.get("StopSignal") instanceof String signal
        && !signal.isBlank()) {
      return signal;
    }
    return "SIGTERM";
  }

  /** The container with exactly this name, never one whose id merely starts with it. */
  private Optional<InspectContainerResponse> find(String name) {
    try {
      InspectContainerResponse response = client().inspectContainerCmd(name).exec();
      if (("/" + name).equals(response.getName())) {
        return Optional.of(response);
      }
    } catch (NotFoundException e) {
      return Optional.empty();
    } catch (DockerException e) {
      // E.g. "multiple IDs found with provided prefix": fall through to the name listing.
      if (e.getHttpStatus() >= 500) {
        throw e;
      }
    }
    for (Container c :
        client().listContainersCmd().withShowAll(true).withNameFilter(List.of(name)).exec()) {
      if (Arrays.asList(c.getNames()).contains("/" + name)) {
        try {
          return Optional.of(client().inspectContainerCmd(c.getId()).exec());
        } catch (NotFoundException e) {
          return Optional.empty();
        }
      }
    }
    return Optional.empty();
  }

  private String requireId(String operation, String name) {
    return find(name)
        .map(InspectContainerResponse::getId)
        .orElseThrow(
            () ->
                new ContainerRuntimeException(
                    operation, operation + " failed: no container named '" + name + "'", null));
  }

  private Optional<InspectImageResponse> inspectImage(String reference) {
    return call(
        "pull",
        reference,
        () -> {
          try {
            return Optional.of(client().inspectImageCmd(reference).exec());
          } catch (NotFoundException e) {
            return Optional.empty();
          }
        });
  }

  /** Runs one engine call, translating docker-java's failures into the port's exceptions. */
  private <T> T call(String operation, String subject, Supplier<T> body) {
    try {
      return body.get();
    } catch (ContainerRuntimeException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new ContainerRuntimeException(
          operation, operation + " of '" + subject + "' failed: " + engineMessage(e, null), e);
    }
  }

  private ImagePullException pullFailure(
      ImageRef image, RegistryCredential credential, String engineText, Throwable cause) {
    String message = redact(engineText == null ? "no message" : engineText, credential);
    int status = cause instanceof DockerException ? ((DockerException) cause).getHttpStatus() : 0;
    if (isUnauthorized(status, message)) {
      return new RegistryUnauthorizedException(
          image.registry(),
          "registry "
              + image.registry()
              + " refused the pull of "
              + image.pinned()
              + (credential == null ? " (anonymous)" : " (as " + credential.username() + ")")
              + ": "
              + message,
          cause);
    }
    return new ImagePullException("pull of " + image.pinned() + " failed: " + message, cause);
  }

  /**
   * Whether a failed image removal means the image is gone already: 404, or the 500 the engine
   * answers when another process (an operator's {@code docker image prune}, a second agent) removed
   * it between this process's listing and its removal ({@code unrecognized image ID sha256:...}).
   */
  static boolean imageAlreadyGone(int httpStatus, String message) {
    if (httpStatus == 404) {
      return true;
    }
    String words = message == null ? "" : message;
    return httpStatus == 500
        && (words.contains("unrecognized image ID") || words.contains("No such image"));
  }

  /** Whether an engine pull failure is the registry refusing the credential. */
  static boolean isUnauthorized(int httpStatus, String message) {
    if (httpStatus == 401 || httpStatus == 403) {
      return true;
    }
    // Digests are hex and may contain "401"; they say nothing about authorization.
    String words = DIGEST_HEX.matcher(message == null ? "" : message).replaceAll("sha256:…");
    return UNAUTHORIZED.matcher(words).find();
  }

  /** The engine's message, never with a password in it. */
  static String engineMessage(Throwable e, RegistryCredential credential) {
    return redact(
        e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage(), credential);
  }

  private static String redact(String message, RegistryCredential credential) {
    String result = message.strip();
    if (credential != null && credential.password() != null && !credential.password().isEmpty()) {
      result = result.replace(credential.password(), "<redacted>");
    }
    return result.length() > 500 ? result.substring(0, 500) + "..." : result;
  }

  static ContainerInfo toInfo(InspectContainerResponse response) {
    InspectContainerResponse.ContainerState state = response.getState();
    Map<String, String> labels =
        response.getConfig() == null || response.getConfig().getLabels() == null
            ? Map.of()
            : response.getConfig().getLabels();
    ContainerInfo.Health health = ContainerInfo.Health.NONE;
    if (state.getHealth() != null && state.getHealth().getStatus() != null) {
      health =
          switch (state.getHealth().getStatus()) {
            case "starting" -> ContainerInfo.Health.STARTING;
            case "healthy" -> ContainerInfo.Health.HEALTHY;
            case "unhealthy" -> ContainerInfo.Health.UNHEALTHY;
            default -> ContainerInfo.Health.NONE;
          };
    }
    Long exitCode = state.getExitCodeLong();
    Integer restarts = response.getRestartCount();
    String name = response.getName() == null ? "" : response.getName();
    return new ContainerInfo(
        response.getId(),
        name.startsWith("/") ? name.substring(1) : name,
        response.getImageId(),
        labels,
        toState(state.getStatus()),
        health,
        restarts == null ? 0 : restarts,
        exitCode == null ? 0 : exitCode.intValue(),
        parseTime(state.getStartedAt()));
  }

  private static ContainerInfo.State toState(String status) {
    if (status == null) {
      return ContainerInfo.State.DEAD;
    }
    return switch (status) {
      case "created" -> ContainerInfo.State.CREATED;
      case "running" -> ContainerInfo.State.RUNNING;
      case "restarting" -> ContainerInfo.State.RESTARTING;
      case "paused" -> ContainerInfo.State.PAUSED;
      case "exited" -> ContainerInfo.State.EXITED;
      case "removing" -> ContainerInfo.State.REMOVING;
      default -> ContainerInfo.State.DEAD;
    };
  }

  /** Docker's start time; EPOCH for a container that never started, as the port reports it. */
  private static Instant parseTime(String value) {
    if (value == null || value.isEmpty() || value.equals(NEVER_STARTED)) {
      return Instant.EPOCH;
    }
    try {
      return Instant.parse(value);
    } catch (DateTimeParseException e) {
      return Instant.EPOCH;
    }
  }

  static boolean sameSignal(String a, String b) {
    return normalizeSignal(a).equals(normalizeSignal(b));
  }

  private static String normalizeSignal(String signal) {
    String s = signal.strip().toUpperCase(Locale.ROOT);
    if (s.equals("15")) {
      return "SIGTERM";
    }
    if (s.equals("9")) {
      return "SIGKILL";
    }
    return s.startsWith("SIG") || s.chars().allMatch(Character::isDigit) ? s : "SIG" + s;
  }

  /** Whole seconds, rounded up so a stop timeout of 500 ms still gives the app a chance. */
  private static int seconds(Duration d) {
    long s = d.getSeconds() + (d.getNano() > 0 ? 1 : 0);
    return (int) Math.min(Integer.MAX_VALUE, s);
  }

  private static List<String> repoDigests(InspectImageResponse image) {
    return image.getRepoDigests() == null ? List.of() : image.getRepoDigests();
  }

  private static List<String> nonNull(String[] values) {
    if (values == null) {
      return List.of();
    }
    Set<String> unique = new LinkedHashSet<>(Arrays.asList(values));
    return List.copyOf(unique);
  }
}
