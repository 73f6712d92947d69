package dev.driftguard.sim;

import dev.driftguard.model.ContainerInfo;
import dev.driftguard.model.ImageRef;
import dev.driftguard.model.RegistryCredential;
import dev.driftguard.model.RunSpec;
import dev.driftguard.runtime.ContainerRuntime;
import dev.driftguard.runtime.ContainerRuntimeException;
import dev.driftguard.runtime.ImagePullException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * One host's Docker engine in virtual time. A call's effect is immediate, but it keeps the host
 * busy ({@link SimHost.Node#busy}) for a duration drawn from the scenario's spread (pull, start,
 * stop), so the host's next tick comes after it; a started container serves only after its start
 * and warm-up. An image's {@link Behaviour} decides what its containers do.
 */
final class SimDocker implements ContainerRuntime {
  /** What an image's containers do once started. */
  enum Behaviour {
    GOOD,
    /** Runs, but never passes a health check. */
    UNHEALTHY
  }

  /** Operation durations (milliseconds): {@code min + uniform(spread)}. */
  record Timing(
      long pullMin,
      long pullSpread,
      long startMin,
      long startSpread,
      long warmMin,
      long warmSpread,
      long stopMin,
      long stopSpread) {
    static Timing defaults() {
      return new Timing(5_000, 20_000, 500, 1_500, 1_000, 4_000, 1_000, 4_000);
    }
  }

  final class Container {
    final String id;
    String name;
    final String imageId;
    final Map<String, String> labels;
    final Behaviour behaviour;
    final dev.driftguard.model.Digest digest;
    ContainerInfo.State state = ContainerInfo.State.CREATED;
    long servingFrom = Long.MAX_VALUE;
    Instant startedAt;

    Container(String id, String name, String imageId, Map<String, String> labels, Behaviour b) {
      this.id = id;
      this.name = name;
      this.imageId = imageId;
      this.labels = labels;
      this.behaviour = b;
      String d = labels.get(dev.driftguard.model.Labels.DIGEST);
      this.digest = d == null ? null : dev.driftguard.model.Digest.parse(d);
    }

    /** Whether it answers requests (and health checks) now. */
    boolean serving() {
      return state == ContainerInfo.State.RUNNING
          && behaviour == Behaviour.GOOD
          && scheduler.now() >= servingFrom;
    }
  }

  private final SimHost.Node host;
  private final Scheduler scheduler;
  private final SplittableRandom random;
  private final Timing timing;
  private final Map<String, Behaviour> registry;
  private final Map<String, LocalImage> local = new LinkedHashMap<>();
  private final Map<String, Behaviour> localBehaviour = new LinkedHashMap<>();
  final Map<String, Container> containers = new LinkedHashMap<>();
  private int nextId = 1;

  SimDocker(
      SimHost.Node host,
      Scheduler scheduler,
      SplittableRandom random,
      Timing timing,
      Map<String, Behaviour> registry) {
    this.host = host;
    this.scheduler = scheduler;
    this.random = random;
    this.timing = timing;
    this.registry = registry;
  }

  private long spread(long min, long spread) {
    return min + (spread <= 0 ? 0 : random.nextLong(spread + 1));
  }

  /** Puts a serving container of {@code image} on the host, as before the simulation. */
  void seed(String name, RunSpec spec) {
    String imageId = imageIdOf(spec.image());
    local.put(imageId, new LocalImage(imageId, List.of(spec.image().pinned()), Instant.EPOCH));
    localBehaviour.put(imageId, registry.getOrDefault(spec.image().pinned(), Behaviour.GOOD));
    Container c =
        new Container("c" + nextId++, name, imageId, spec.labels(), localBehaviour.get(imageId));
    c.state = ContainerInfo.State.RUNNING;
    c.servingFrom = 0;
    c.startedAt = scheduler.instant();
    containers.put(name, c);
  }

  private static String imageIdOf(ImageRef image) {
    return "img-" + image.digest().hex().substring(0, 12);
  }

  /** The container publishing {@code hostPort}, if one runs. */
  Optional<Container> onPort(int hostPort) {
    for (Container c : containers.values()) {
      String port = c.labels.get(dev.driftguard.model.Labels.HOST_PORT);
      if (c.state == ContainerInfo.State.RUNNING
          && port != null
          && Integer.parseInt(port) == hostPort) {
        return Optional.of(c);
      }
    }
    return Optional.empty();
  }

  Optional<Container> byId(String id) {
    return containers.values().stream().filter(c -> c.id.equals(id)).findFirst();
  }

  @Override
  public String pull(ImageRef image, RegistryCredential credential) {
    String imageId = imageIdOf(image);
    if (local.containsKey(imageId)) {
      return imageId;
    }
    Behaviour behaviour = registry.get(image.pinned());
    if (behaviour == null) {
      throw new ImagePullException("pull " + image.pinned() + ": manifest unknown", null);
    }
    host.busy(spread(timing.pullMin(), timing.pullSpread()));
    local.put(imageId, new LocalImage(imageId, List.of(image.pinned()), scheduler.instant()));
    localBehaviour.put(imageId, behaviour);
    return imageId;
  }

  @Override
  public Optional<ContainerInfo> inspect(String name) {
    Container c = containers.get(name);
    return c == null ? Optional.empty() : Optional.of(info(c));
  }

  @Override
  public ContainerInfo create(String name, RunSpec spec) {
    if (containers.containsKey(name)) {
      throw new ContainerRuntimeException(
          "create", "create " + name + ": a container with that name exists", null);
    }
    String imageId = imageIdOf(spec.image());
    if (!local.containsKey(imageId)) {
      throw new ContainerRuntimeException(
          "create", "create " + name + ": no such image " + spec.image().pinned(), null);
    }
    host.busy(200);
    Container c =
        new Container(
            "c" + nextId++,
            name,
            imageId,
            new LinkedHashMap<>(spec.labels()),
            localBehaviour.get(imageId));
    containers.put(name, c);
    return info(c);
  }

  @Override
  public void start(String name) {
    Container c = require(name, "start");
    if (c.state == ContainerInfo.State.RUNNING) {
      return;
    }
    long start = spread(timing.startMin(), timing.startSpread());
    host.busy(start);
    c.state = ContainerInfo.State.RUNNING;
    c.startedAt = scheduler.instant();
    c.servingFrom = scheduler.now() + start + spread(timing.warmMin(), timing.warmSpread());
  }

  @Override
  public void stop(String name, String signal, Duration timeout) {
    Container c = containers.get(name);
    if (c == null || c.state != ContainerInfo.State.RUNNING) {
      return;
    }
    host.busy(Math.min(timeout.toMillis(), spread(timing.stopMin(), timing.stopSpread())));
    c.state = ContainerInfo.State.EXITED;
    c.servingFrom = Long.MAX_VALUE;
  }

  @Override
  public void remove(String name) {
    if (containers.remove(name) != null) {
      host.busy(300);
    }
  }

  @Override
  public void rename(String from, String to) {
    Container c = require(from, "rename");
    if (containers.containsKey(to)) {
      throw new ContainerRuntimeException(
          "rename", "rename " + from + " to " + to + ": name taken", null);
    }
    containers.remove(from);
    c.name = to;
    containers.put(to, c);
  }

  @Override
  public List<LocalImage> images(String repositoryName) {
    List<LocalImage> out = new ArrayList<>();
    for (LocalImage i : local.values()) {
      if (i.repoDigests().stream().anyMatch(d -> d.startsWith(repositoryName + "@"))) {
        out.add(i);
      }
    }
    return out;
  }

  @Override
  public java.util.Map<String, ContainerInfo> inspectAll(java.util.Collection<String> names) {
    java.util.Map<String, ContainerInfo> found = new java.util.LinkedHashMap<>();
    for (String name : names) {
      inspect(name).ifPresent(c -> found.put(name, c));
    }
    return found;
  }

  @Override
  public EngineInfo engineInfo() {
    return new EngineInfo("simulated", true);
  }

  @Override
  public void removeImage(String imageId) {
    boolean inUse = containers.values().stream().anyMatch(c -> c.imageId.equals(imageId));
    if (!inUse) {
      local.remove(imageId);
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

  private ContainerInfo info(Container c) {
    return new ContainerInfo(
        c.id,
        c.name,
        c.imageId,
        c.labels,
        c.state,
        ContainerInfo.Health.NONE,
        0,
        c.state == ContainerInfo.State.EXITED ? 143 : 0,
        c.startedAt);
  }
}
