package dev.driftguard.testing;

import dev.driftguard.fleet.FleetCoordinator;
import dev.driftguard.model.Digest;
import dev.driftguard.model.ServiceSpec;
import dev.driftguard.model.TargetState;
import dev.driftguard.model.TrafficSpec;
import dev.driftguard.traffic.TrafficGate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * An in-memory target group shared by simulated hosts. Registered targets become healthy at once
 * (the deployer's own health check already passed); deregistered ones drain instantly. Each host
 * gets its view through {@link #gate(String)} and {@link #fleet(String)}. Every change is written
 * to a journal, e.g. {@code "deregister i-1:80"}.
 */
public final class FakeTargetGroup {
  private final Map<String, String> states = new HashMap<>();
  private final Map<String, Map<String, String>> published = new HashMap<>();
  private final Consumer<String> journal;

  /** Runs on every read of the group, so a test can change peers while a host waits. */
  public Runnable onRead = () -> {};

  public FakeTargetGroup(Consumer<String> journal) {
    this.journal = journal;
  }

  public synchronized void set(String instanceId, int port, String state) {
    states.put(instanceId + ":" + port, state);
  }

  public synchronized Optional<String> state(String instanceId, int port) {
    return Optional.ofNullable(states.get(instanceId + ":" + port));
  }

  public synchronized Map<String, String> published(String instanceId) {
    return Map.copyOf(published.getOrDefault(instanceId, Map.of()));
  }

  public TrafficGate gate(String me) {
    return new TrafficGate() {
      @Override
      public void register(TrafficSpec traffic, int hostPort) {
        synchronized (FakeTargetGroup.this) {
          journal.accept("register " + me + ":" + hostPort);
          states.put(me + ":" + hostPort, "healthy");
        }
      }

      @Override
      public void deregister(TrafficSpec traffic, int hostPort) {
        synchronized (FakeTargetGroup.this) {
          if (states.remove(me + ":" + hostPort) != null) {
            journal.accept("deregister " + me + ":" + hostPort);
          }
        }
      }

      @Override
      public TargetState state(TrafficSpec traffic, int hostPort) {
        synchronized (FakeTargetGroup.this) {
          String s = states.get(me + ":" + hostPort);
          return s == null ? TargetState.NOT_REGISTERED : TargetState.valueOf(s.toUpperCase());
        }
      }

      @Override
      public Duration drainTimeout(TrafficSpec traffic) {
        // As the ELBv2 adapter: an explicit timeout as it is; for auto this group's deregistration
        // delay (zero: it drains at once) capped by the cap, which is zero whatever the cap.
        return traffic.drainTimeout() != null ? traffic.drainTimeout() : Duration.ZERO;
      }
    };
  }

  public FleetCoordinator fleet(String me) {
    return new FleetCoordinator() {
      @Override
      public List<PeerTarget> targets(ServiceSpec service) {
        onRead.run();
        synchronized (FakeTargetGroup.this) {
          List<PeerTarget> out = new ArrayList<>();
          states.forEach(
              (k, v) ->
                  out.add(
                      new PeerTarget(
                          k.substring(0, k.indexOf(':')),
                          Integer.parseInt(k.substring(k.indexOf(':') + 1)),
                          TargetState.fromElbv2(v, null))));
          return out;
        }
      }

      @Override
      public synchronized Optional<String> rolledBackBy(ServiceSpec service, Digest digest) {
        synchronized (FakeTargetGroup.this) {
          return published.entrySet().stream()
              .filter(
                  e -> !e.getKey().equals(me) && digest.value().equals(e.getValue().get("failed")))
              .map(Map.Entry::getKey)
              .findFirst();
        }
      }

      @Override
      public Map<String, Digest> peersRunning(ServiceSpec service) {
        synchronized (FakeTargetGroup.this) {
          Map<String, Digest> running = new HashMap<>();
          published.forEach(
              (host, tags) -> {
                if (!host.equals(me) && !tags.getOrDefault("running", "").isEmpty()) {
                  running.put(host, Digest.parse(tags.get("running")));
                }
              });
          return running;
        }
      }

      @Override
      public void publish(ServiceSpec service, PublishedState state) {
        synchronized (FakeTargetGroup.this) {
          Map<String, String> tags = new HashMap<>();
          tags.put("running", state.running() == null ? "" : state.running().value());
          tags.put("phase", state.phase());
          tags.put("outcome", state.lastOutcome());
          tags.put("failed", state.failed() == null ? "" : state.failed().value());
          published.put(me, tags);
        }
      }

      @Override
      public void flush() {}
    };
  }
}
