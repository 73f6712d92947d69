package dev.driftguard.testing;

import dev.driftguard.model.ContainerInfo;
import dev.driftguard.model.ImageRef;
import dev.driftguard.model.RegistryCredential;
import dev.driftguard.model.RunSpec;
import dev.driftguard.runtime.ContainerRuntime;
import dev.driftguard.runtime.ContainerRuntimeException;
import dev.driftguard.runtime.ImagePullException;
import dev.driftguard.runtime.RegistryUnauthorizedException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * An in-memory container engine for reconciler tests. Images are "published" to a fake remote
 * registry with a behaviour that decides what their containers do when started. It follows the same
 * {@code ContainerRuntimeContract} as the Docker adapter, so the reconciler's unit tests mean the
 * same thing on the real engine: containers have restart policy {@code unless-stopped} (a crashing
 * one is restarted, one stopped through {@link #stop} or {@link #kill} stays stopped).
 */
public final class FakeContainerRuntime implements ContainerRuntime {

  /** What a container of an image does once started. */
  public enum Behaviour {
    /** Runs and reports HEALTHY. */
    HEALTHY,
    /** Runs and reports UNHEALTHY. */
    UNHEALTHY,
    /**
     * Exits with code 1 at once; the engine restarts it (restart policy {@code unless-stopped}), so
     * it is reported {@code RESTARTING} with a restart count, as Docker reports a crash loop.
     */
    EXITS
  }

  private record Remote(String imageId, Behaviour behaviour, Instant created) {}

  private static final class Container {
    final String id;
    String name;
    final String imageId;
    final Map<String, String> labels;
    final Behaviour behaviour;
    ContainerInfo.State state = ContainerInfo.State.CREATED;
    int exitCode;
    int restartCount;
    Instant startedAt;

    /**
     * A command {@code ["exit", "N"]} makes the container exit with code N at start (a one-time
     * task).
     */
    List<String> command = List.of();

    Container(
        String id, String name, String imageId, Map<String, String> labels, Behaviour behaviour) {
      this.id = id;
      this.name = name;
      this.imageId = imageId;
      this.labels = labels;
      this.behaviour = behaviour;
    }
  }

  private final Clock clock;
  private final Map<String, Remote> remote = new HashMap<>();
  private final Map<String, String> passwords = new HashMap<>();
  private final Map<String, LocalImage> local = new LinkedHashMap<>();
  private final Map<String, Behaviour> localBehaviour = new HashMap<>();
  private final Map<String, Container> containers = new LinkedHashMap<>();
  private final Map<String, RuntimeException> failures = new HashMap<>();
  private final List<String> journal = new ArrayList<>();
  private int imageListings;
  private int nextId = 1;
  private int inspectAllCalls;
  private int inspectCalls;
  private EngineInfo engine = new EngineInfo("fake", true);

  public FakeContainerRuntime(Clock clock) {
    this.clock = clock;
  }

  /** Makes {@code image} pullable; its containers behave as {@code behaviour}. */
  public synchronized FakeContainerRuntime publish(ImageRef image, Behaviour behaviour) {
    remote.put(
        image.pinned(),
        new Remote("img-" + image.digest().hex().substring(0, 12), behaviour, clock.instant()));
    return this;
  }

  /** Pulls from {@code registry} need this password; without it they are refused with 401. */
  public synchronized FakeContainerRuntime requirePassword(String registry, String password) {
    passwords.put(registry, password);
    return this;
  }

  /** The next call of {@code operation} (pull, create, start, stop, remove, rename) throws. */
  public synchronized FakeContainerRuntime failNext(String operation, RuntimeException error) {
    failures.put(operation, error);
    return this;
  }

  /** What {@link #engineInfo} reports from now on. */
  public synchronized FakeContainerRuntime engine(EngineInfo info) {
    this.engine = Objects.requireNonNull(info);
    return this;
  }

  /**
   * Makes a container exit as {@code docker kill} does: a manual stop, which the restart policy
   * honours, so it stays exited until started again.
   */
  public synchronized void kill(String name) {
    Container c = require(name, "kill");
    c.state = ContainerInfo.State.EXITED;
    c.exitCode = 137;
  }

  /** Creates a running container the way an operator would by hand: no driftguard labels. */
  public synchronized void runUnmanaged(String name, ImageRef image) {
    String imageId = pull(image, passwordCredential(image.registry()));
    Container c =
        new Container("c" + nextId++, name, imageId, Map.of(), localBehaviour.get(imageId));
    c.state = ContainerInfo.State.RUNNING;
    c.startedAt = clock.instant();
    containers.put(name, c);
  }

  /** Adds a line to the journal (for fakes of other systems that share it, like traffic). */
  public synchronized void record(String entry) {
    journal.add(entry);
  }

  /** Every mutating call so far, e.g. {@code "stop web"}, {@code "rename web web-previous"}. */
  public synchronized List<String> journal() {
    return List.copyOf(journal);
  }

  public synchronized List<String> containerNames() {
    return List.copyOf(containers.keySet());
  }

  @Override
  public synchronized String pull(ImageRef image, RegistryCredential credential) {
    fail("pull");
    // Like Docker: an image already present with this repo digest needs no registry (and no
    // valid credential); the contract checks this.
    for (LocalImage present : local.values()) {
      if (present.repoDigests().contains(image.pinned())) {
        return present.id();
      }
    }
    String required = passwords.get(image.registry());
    if (required != null && (credential == null || !required.equals(credential.password()))) {
      throw new RegistryUnauthorizedException(
          image.registry(), "pull " + image.pinned() + ": unauthorized", null);
    }
    Remote r = remote.get(image.pinned());
    if (r == null) {
      throw new ImagePullException("pull " + image.pinned() + ": manifest unknown", null);
    }
    LocalImage existing = local.get(r.imageId());
    List<String> digests = new ArrayList<>(existing == null ? List.of() : existing.repoDigests());
    if (!digests.contains(image.pinned())) {
      digests.add(image.pinned());
      journal.add("pull " + image.pinned());
    }
    local.put(r.imageId(), new LocalImage(r.imageId(), digests, r.created()));
    localBehaviour.put(r.imageId(), r.behaviour());
    return r.imageId();
  }

  @Override
  public synchronized Optional<ContainerInfo> inspect(String name) {
    inspectCalls++;
    Container c = containers.get(name);
    return c == null ? Optional.empty() : Optional.of(info(c));
  }

  @Override
  public synchronized Map<String, ContainerInfo> inspectAll(Collection<String> names) {
    inspectAllCalls++;
    Map<String, ContainerInfo> found = new LinkedHashMap<>();
    for (String name : names) {
      Container c = containers.get(name);
      if (c != null) {
        found.put(name, info(c));
      }
    }
    return found;
  }

  /** How often {@link #inspect} was called (one engine call each on Docker). */
  public synchronized int inspectCalls() {
    return inspectCalls;
  }

  /** How often {@link #inspectAll} was called (one engine call each on Docker). */
  public synchronized int inspectAllCalls() {
    return inspectAllCalls;
  }

  @Override
  public synchronized ContainerInfo create(String name, RunSpec spec) {
    fail("create");
    if (containers.containsKey(name)) {
      throw new ContainerRuntimeException(
          "create", "create " + name + ": a container with that name exists", null);
    }
    String imageId =
        local.values().stream()
            .filter(i -> i.repoDigests().contains(spec.image().pinned()))
            .map(LocalImage::id)
            .findFirst()
            .orElseThrow(
                () ->
                    new ContainerRuntimeException(
                        "create",
                        "create " + name + ": no such image " + spec.image().pinned(),
                        null));
    Container c =
        new Container(
            "c" + nextId++,
            name,
            imageId,
            new LinkedHashMap<>(spec.labels()),
            localBehaviour.get(imageId));
    c.command = spec.container().command();
    containers.put(name, c);
    journal.add("create " + name + " " + spec.image().digest().shortForm());
    return info(c);
  }

  @Override
  public synchronized void start(String name) {
    fail("start");
    Container c = require(name, "start");
    if (c.state == ContainerInfo.State.RUNNING || c.state == ContainerInfo.State.RESTARTING) {
      return;
    }
    journal.add("start " + name);
    c.startedAt = clock.instant();
    if (c.command.size() == 2 && c.command.get(0).equals("exit")) {
      c.state = ContainerInfo.State.EXITED;
      c.exitCode = Integer.parseInt(c.command.get(1));
    } else if (c.behaviour == Behaviour.EXITS) {
      // Exited at once, and the restart policy is already trying again: a crash loop.
      c.state = ContainerInfo.State.RESTARTING;
      c.exitCode = 1;
      c.restartCount++;
    } else {
      c.state = ContainerInfo.State.RUNNING;
      c.exitCode = 0;
    }
  }

  @Override
  public synchronized void stop(String name, String signal, Duration timeout) {
    fail("stop");
    Container c = containers.get(name);
    if (c == null
        || (c.state != ContainerInfo.State.RUNNING && c.state != ContainerInfo.State.RESTARTING)) {
      return;
    }
    journal.add("stop " + name);
    if (c.state == ContainerInfo.State.RUNNING) {
      c.exitCode = 0;
    }
    // A crash loop stopped keeps its last exit code, as Docker reports it.
    c.state = ContainerInfo.State.EXITED;
  }

  @Override
  public synchronized void remove(String name) {
    fail("remove");
    if (containers.remove(name) != null) {
      journal.add("remove " + name);
    }
  }

  @Override
  public synchronized void rename(String from, String to) {
    fail("rename");
    Container c = require(from, "rename");
    if (containers.containsKey(to)) {
      throw new ContainerRuntimeException(
          "rename", "rename " + from + " to " + to + ": name taken", null);
    }
    containers.remove(from);
    c.name = to;
    containers.put(to, c);
    journal.add("rename " + from + " " + to);
  }

  /** How often {@link #images} was asked: the image janitor's cost. */
  public synchronized int imageListings() {
    return imageListings;
  }

  @Override
  public synchronized List<LocalImage> images(String repositoryName) {
    imageListings++;
    return local.values().stream()
        .filter(i -> i.repoDigests().stream().anyMatch(d -> d.startsWith(repositoryName + "@")))
        .toList();
  }

  @Override
  public synchronized void removeImage(String imageId) {
    boolean inUse = containers.values().stream().anyMatch(c -> c.imageId.equals(imageId));
    if (!inUse && local.remove(imageId) != null) {
      journal.add("rmi " + imageId);
    }
  }

  @Override
  public synchronized EngineInfo engineInfo() {
    fail("info");
    return engine;
  }

  private RegistryCredential passwordCredential(String registry) {
    String password = passwords.get(registry);
    return password == null ? null : new RegistryCredential(registry, "AWS", password, null);
  }

  private void fail(String operation) {
    RuntimeException error = failures.remove(operation);
    if (error != null) {
      throw error;
    }
  }

  private Container require(String name, String operation) {
    Container c = containers.get(name);
    if (c == null) {
      throw new ContainerRuntimeException(
          operation, operation + " " + name + ": no such container", null);
    }
    return c;
  }

  private static ContainerInfo info(Container c) {
    ContainerInfo.Health health = ContainerInfo.Health.NONE;
    if (c.state == ContainerInfo.State.RUNNING && c.behaviour != null) {
      health =
          c.behaviour == Behaviour.UNHEALTHY
              ? ContainerInfo.Health.UNHEALTHY
              : ContainerInfo.Health.HEALTHY;
    }
    return new ContainerInfo(
        c.id,
        c.name,
        c.imageId,
        c.labels,
        c.state,
        health,
        c.restartCount,
        c.exitCode,
        Objects.requireNonNullElse(c.startedAt, Instant.EPOCH));
  }
}
