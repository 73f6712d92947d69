package dev.driftguard.e2e;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.core.RemoteApiVersion;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import dev.driftguard.model.Labels;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Samples the engine every {@code period} (one {@code GET /containers/json} of the containers
 * driftguard made, for every watched host at once) and keeps, per watched container name, when it
 * (or its {@code -next} or {@code -previous}) ran and when none did. While the engine does not
 * answer (a dockerd restart), a host counts as running when one of its host ports accepts a
 * connection: with live-restore its container runs on without the engine.
 */
final class ContainerSampler implements AutoCloseable {
  /**
   * A stretch with no running container, and how much of it the engine spent creating and starting
   * the container that ended it (its {@code State.StartedAt} minus its {@code Created}; zero when
   * that container existed before the stretch began, as a restored {@code -previous} does).
   */
  record Gap(Duration length, Duration engineStart) {
    static final Gap NONE = new Gap(Duration.ZERO, Duration.ZERO);

    /** The part of the stretch that is not the engine creating and starting the new container. */
    Duration beyondEngine() {
      Duration rest = length.minus(engineStart);
      return rest.isNegative() ? Duration.ZERO : rest;
    }
  }

  /** One service's running/not-running history: the first sample and every change after it. */
  static final class History {
    private record Change(Instant at, boolean running, Duration engineStart) {}

    private final List<Change> changes = new ArrayList<>();
    private Instant lastSeenRunning = Instant.MIN;
    private int engineDown;

    synchronized void sample(Instant at, boolean running) {
      sample(at, running, Duration.ZERO);
    }

    /**
     * {@code engineStart} is kept only where a container starts running after a stretch with none:
     * the engine's own create-to-running time of that container.
     */
    synchronized void sample(Instant at, boolean running, Duration engineStart) {
      if (running) {
        lastSeenRunning = at;
      }
      if (changes.isEmpty() || changes.get(changes.size() - 1).running() != running) {
        changes.add(new Change(at, running, running ? engineStart : Duration.ZERO));
      }
    }

    /**
     * While no container runs: the last sample that saw one. A container created after it is new
     * within this stretch (the first sample seeing none can come after the engine already created
     * the next one: samples are 100 ms apart).
     */
    synchronized Optional<Instant> lastRunningBeforeThisGap() {
      if (changes.isEmpty() || changes.get(changes.size() - 1).running()) {
        return Optional.empty();
      }
      return Optional.of(lastSeenRunning);
    }

    synchronized void engineDown() {
      engineDown++;
    }

    /** Samples taken while the engine did not answer (a port probe decided). */
    synchronized int engineDownSamples() {
      return engineDown;
    }

    /**
     * The longest stretch within {@code [from, to)} with no running container: from the first
     * sample that saw none to the first that saw one again.
     */
    synchronized Gap longestGap(Instant from, Instant to) {
      Gap longest = Gap.NONE;
      for (int i = 0; i < changes.size(); i++) {
        Change c = changes.get(i);
        if (c.running()) {
          continue;
        }
        boolean ended = i + 1 < changes.size();
        Instant end = ended ? changes.get(i + 1).at() : to;
        Instant s = c.at().isBefore(from) ? from : c.at();
        Instant e = end.isAfter(to) ? to : end;
        if (e.isAfter(s) && Duration.between(s, e).compareTo(longest.length()) > 0) {
          Duration engine =
              ended && !end.isAfter(to) ? changes.get(i + 1).engineStart() : Duration.ZERO;
          longest = new Gap(Duration.between(s, e), engine);
        }
      }
      return longest;
    }
  }

  private record Watch(History history, List<Integer> ports) {}

  private final DockerClient docker;
  private final Duration period;
  private final Map<String, Watch> watched = new ConcurrentHashMap<>();
  private final Thread thread;
  private volatile boolean stopped;
  private volatile int samples;

  ContainerSampler(URI dockerHost, Duration period) {
    this.period = period;
    this.docker =
        DockerClientImpl.getInstance(
            new DefaultDockerClientConfig.Builder()
                .withDockerHost(dockerHost.toString())
                .withApiVersion(RemoteApiVersion.VERSION_1_41)
                .build(),
            new ApacheDockerHttpClient.Builder()
                .dockerHost(dockerHost)
                .connectionTimeout(Duration.ofMillis(500))
                .responseTimeout(Duration.ofSeconds(2))
                .build());
    this.thread = new Thread(this::loop, "container-sampler");
    this.thread.setDaemon(true);
    this.thread.start();
  }

  /**
   * Starts sampling the agent-made containers named {@code container}, {@code container-next} and
   * {@code container-previous}; {@code ports} are probed while the engine does not answer.
   */
  History watch(String container, List<Integer> ports) {
    Watch w = new Watch(new History(), List.copyOf(ports));
    watched.put(container, w);
    return w.history();
  }

  void unwatch(String container) {
    watched.remove(container);
  }

  int samples() {
    return samples;
  }

  private void loop() {
    while (!stopped) {
      long start = System.nanoTime();
      sampleOnce();
      long left = period.toNanos() - (System.nanoTime() - start);
      if (left > 0) {
        try {
          Thread.sleep(left / 1_000_000, (int) (left % 1_000_000));
        } catch (InterruptedException e) {
          return;
        }
      }
    }
  }

  private void sampleOnce() {
    if (watched.isEmpty()) {
      return;
    }
    Instant at = Instant.now();
    Map<String, String> running = new HashMap<>();
    boolean engineAnswered;
    try {
      for (Container c :
          docker.listContainersCmd().withLabelFilter(List.of(Labels.SERVICE)).exec()) {
        if ("running".equals(c.getState()) && c.getNames() != null) {
          for (String name : c.getNames()) {
            running.put(baseName(name), c.getId());
          }
        }
      }
      engineAnswered = true;
    } catch (RuntimeException e) {
      engineAnswered = false;
    }
    samples++;
    for (Map.Entry<String, Watch> e : watched.entrySet()) {
      Watch w = e.getValue();
      if (engineAnswered) {
        String id = running.get(e.getKey());
        Duration engineStart =
            id == null
                ? Duration.ZERO
                : w.history()
                    .lastRunningBeforeThisGap()
                    .map(since -> engineStart(id, since))
                    .orElse(Duration.ZERO);
        w.history().sample(at, id != null, engineStart);
      } else {
        w.history().engineDown();
        w.history().sample(at, w.ports().stream().anyMatch(ContainerSampler::accepts));
      }
    }
  }

  /**
   * The engine's create-to-running time of container {@code id}, if it was created after {@code
   * since} (a container that existed before the stretch, such as a restored {@code -previous}, was
   * not made by the engine within it: zero). Zero too when the engine does not say.
   */
  private Duration engineStart(String id, Instant since) {
    try {
      InspectContainerResponse c = docker.inspectContainerCmd(id).exec();
      Instant created = Instant.parse(c.getCreated());
      Instant started = Instant.parse(c.getState().getStartedAt());
      if (created.isBefore(since) || started.isBefore(created)) {
        return Duration.ZERO;
      }
      return Duration.between(created, started);
    } catch (RuntimeException e) {
      return Duration.ZERO;
    }
  }

  /** {@code /web-next} and {@code /web-previous} are containers of {@code web}. */
  static String baseName(String dockerName) {
    String name = dockerName.startsWith("/") ? dockerName.substring(1) : dockerName;
    for (String suffix : List.of("-next", "-previous")) {
      if (name.endsWith(suffix)) {
        return name.substring(0, name.length() - suffix.length());
      }
    }
    return name;
  }

  private static boolean accepts(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 100);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public void close() {
    stopped = true;
    thread.interrupt();
    try {
      thread.join(2000);
      docker.close();
    } catch (IOException | InterruptedException e) {
      // Closing anyway.
    }
  }
}
