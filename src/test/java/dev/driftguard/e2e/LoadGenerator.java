package dev.driftguard.e2e;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * Steady HTTP load on one URL of 127.0.0.1 (a target group's proxy): a few worker threads, each
 * sending one {@code GET} at a time with a timeout, paced to a total rate. Bounded in both count
 * and time, so a hung rollout cannot make it run forever. Every request's outcome is kept with the
 * phase that was current when it was sent, so failures can be counted per phase afterwards.
 *
 * <p>A request fails when it gets no answer (refused, reset, timed out) or an answer other than
 * 200: the proxy answers 502/503/504 as an ALB does when it has nowhere to send the request.
 */
final class LoadGenerator implements AutoCloseable {
  /** One request: when it was sent, in which phase, and how it ended. */
  record Outcome(Instant sent, String phase, int status, String error, String body, long millis) {
    boolean failed() {
      return error != null || status != 200;
    }

    @Override
    public String toString() {
      return sent
          + " ["
          + phase
          + "] "
          + (error != null ? error : "HTTP " + status)
          + " after "
          + millis
          + " ms"
          + (status != 200 && body != null ? ": " + body.strip() : "");
    }
  }

  private final URI uri;
  private final int workers;
  private final Duration perWorkerInterval;
  private final Duration requestTimeout;
  private final int maxRequests;
  private final Instant stopBy;
  private final HttpClient http;
  private final ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
  private final AtomicInteger sent = new AtomicInteger();
  private final List<Thread> threads = new ArrayList<>();
  private volatile String phase = "start";
  private volatile boolean stopped;

  /**
   * @param uri an {@code http://127.0.0.1:...} URL; nothing else is accepted
   * @param ratePerSecond requests per second, all workers together
   * @param maxRequests the generator stops after this many requests
   * @param maxDuration ... or after this long, whichever comes first
   */
  LoadGenerator(
      URI uri,
      int workers,
      int ratePerSecond,
      Duration requestTimeout,
      int maxRequests,
      Duration maxDuration) {
    if (!"127.0.0.1".equals(uri.getHost())) {
      throw new IllegalArgumentException("load goes to 127.0.0.1 only, not " + uri);
    }
    this.uri = uri;
    this.workers = workers;
    this.perWorkerInterval = Duration.ofMillis(1000L * workers / ratePerSecond);
    this.requestTimeout = requestTimeout;
    this.maxRequests = maxRequests;
    this.stopBy = Instant.now().plus(maxDuration);
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(requestTimeout)
            .build();
  }

  void start() {
    for (int i = 0; i < workers; i++) {
      Thread t = new Thread(this::work, "e2e-load-" + i);
      t.setDaemon(true);
      // Spread the workers over one interval so the load is even, not in bursts.
      threads.add(t);
    }
    for (int i = 0; i < threads.size(); i++) {
      threads.get(i).start();
      sleepQuietly(perWorkerInterval.dividedBy(workers));
    }
  }

  /** Requests sent from now on are counted under {@code name}. */
  void phase(String name) {
    this.phase = Objects.requireNonNull(name);
  }

  String phase() {
    return phase;
  }

  /** Whether the bounds stopped the generator before {@link #close()}. */
  boolean exhausted() {
    return !stopped && threads.stream().noneMatch(Thread::isAlive);
  }

  List<Outcome> outcomes() {
    return List.copyOf(outcomes);
  }

  List<Outcome> outcomes(Predicate<Outcome> filter) {
    return outcomes.stream().filter(filter).toList();
  }

  /** Sent and failed requests per phase, phases in the order first seen. */
  Map<String, int[]> countsByPhase() {
    Map<String, int[]> counts = new java.util.LinkedHashMap<>();
    outcomes.stream()
        .sorted(java.util.Comparator.comparing(Outcome::sent))
        .forEach(
            o -> {
              int[] c = counts.computeIfAbsent(o.phase(), k -> new int[2]);
              c[0]++;
              if (o.failed()) {
                c[1]++;
              }
            });
    return counts;
  }

  /** Answer bodies ({@code version=v1}...) seen in a phase, with how often. */
  Map<String, Integer> versions(String phaseName) {
    Map<String, Integer> versions = new TreeMap<>();
    for (Outcome o : outcomes) {
      if (o.phase().equals(phaseName) && !o.failed() && o.body() != null) {
        String v = o.body().lines().filter(l -> l.contains("version=")).findFirst().orElse("?");
        versions.merge(v.substring(v.indexOf("version=")), 1, Integer::sum);
      }
    }
    return versions;
  }

  private void work() {
    while (!stopped && Instant.now().isBefore(stopBy) && sent.getAndIncrement() < maxRequests) {
      long begin = System.nanoTime();
      outcomes.add(once());
      long spent = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin);
      sleepQuietly(Duration.ofMillis(Math.max(0, perWorkerInterval.toMillis() - spent)));
    }
  }

  private Outcome once() {
    Instant at = Instant.now();
    String currentPhase = phase;
    long begin = System.nanoTime();
    try {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(uri).timeout(requestTimeout).GET().build(),
              HttpResponse.BodyHandlers.ofString());
      return new Outcome(
          at, currentPhase, response.statusCode(), null, response.body(), since(begin));
    } catch (IOException e) {
      return new Outcome(
          at,
          currentPhase,
          0,
          e.getClass().getSimpleName() + ": " + e.getMessage(),
          null,
          since(begin));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stopped = true;
      return new Outcome(at, currentPhase, 0, "interrupted", null, since(begin));
    }
  }

  private static long since(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
  }

  private void sleepQuietly(Duration d) {
    try {
      Thread.sleep(Math.max(0, d.toMillis()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stopped = true;
    }
  }

  /** Stops the workers and waits for their last request (bounded by the request timeout). */
  @Override
  public void close() {
    stopped = true;
    for (Thread t : threads) {
      try {
        t.join(requestTimeout.toMillis() + 2000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
