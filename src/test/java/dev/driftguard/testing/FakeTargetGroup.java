package dev.driftguard.testing;

import dev.driftguard.fleet.FleetCoordinator;
import dev.driftguard.fleet.FleetCoordinator.PublishedState;
import dev.driftguard.fleet.PublishedStateTags;
import dev.driftguard.model.Digest;
import dev.driftguard.model.ServiceSpec;
import dev.driftguard.model.TargetCall;
import dev.driftguard.model.TargetHealthCheck;
import dev.driftguard.model.TargetId;
import dev.driftguard.model.TargetState;
import dev.driftguard.model.TrafficSpec;
import dev.driftguard.traffic.TrafficGate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * An in-memory target group shared by simulated hosts. Registered targets become healthy at once
 * (the deployer's own health check already passed); deregistered ones drain instantly. Each host
 * gets its view through {@link #gate(String)} and {@link #fleet(String)}. Every change is written
 * to a journal, e.g. {@code "deregister i-1:80"}. Published state is kept per host and service, as
 * the EC2 tags are. The target group is one, whatever ARN a spec names. {@code TrafficGateContract}
 * and {@code FleetCoordinatorContract} hold it to the AWS adapters' behaviour.
 */
public final class FakeTargetGroup {
  private final Map<String, String> states = new HashMap<>();

  /**
   * By host (sorted, so peers come lowest instance id first, as the adapter names them), then
   * service.
   */
  private final Map<String, Map<String, PublishedState>> published = new TreeMap<>();

  private final Consumer<String> journal;

  /** Runs on every read of the group, so a test can change peers while a host waits. */
  public Runnable onRead = () -> {};

  /**
   * What the group says of its health checks. Registered targets turn healthy at once, which is
   * what {@link TargetHealthCheck#IMMEDIATE} promises; a test that plays a group checking on an
   * interval (and sets states itself) says so here.
   */
  public volatile TargetHealthCheck healthCheck = TargetHealthCheck.IMMEDIATE;

  public FakeTargetGroup(Consumer<String> journal) {
    this.journal = journal;
  }

  public synchronized void set(String instanceId, int port, String state) {
    states.put(instanceId + ":" + port, state);
  }

  public synchronized Optional<String> state(String instanceId, int port) {
    return Optional.ofNullable(states.get(instanceId + ":" + port));
  }

  /**
   * The state {@code instanceId} publishes for its one service, as its tags without the {@code
   * driftguard:{service}:} prefix ({@code failed}, {@code running}...); empty if nothing.
   */
  public synchronized Map<String, String> published(String instanceId) {
    Map<String, PublishedState> byService = published.getOrDefault(instanceId, Map.of());
    if (byService.size() > 1) {
      throw new IllegalStateException(
          instanceId + " publishes several services " + byService.keySet() + "; name one");
    }
    Map<String, String> tags = new HashMap<>();
    byService.forEach(
        (service, state) -> {
          String prefix = PublishedStateTags.key(service, "");
          PublishedStateTags.toTags(service, state)
              .forEach((k, v) -> tags.put(k.substring(prefix.length()), v));
        });
    return Map.copyOf(tags);
  }

  /** What {@code instanceId} publishes for {@code service}; empty if nothing. */
  public synchronized Optional<PublishedState> published(String instanceId, ServiceSpec service) {
    return Optional.ofNullable(published.getOrDefault(instanceId, Map.of()).get(service.name()));
  }

  /** The peers of {@code me} that publish a state for {@code service}, lowest instance id first. */
  private Map<String, PublishedState> peersOf(String me, ServiceSpec service) {
    Map<String, PublishedState> peers = new LinkedHashMap<>();
    published.forEach(
        (host, byService) -> {
          PublishedState state = byService.get(service.name());
          if (!host.equals(me) && state != null) {
            peers.put(host, state);
          }
        });
    return peers;
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
      public void call(TargetCall call, TrafficSpec traffic, int hostPort, List<TargetId> peers) {
        synchronized (FakeTargetGroup.this) {
          List<TargetId> all = new ArrayList<>();
          all.add(new TargetId(me, hostPort));
          all.addAll(peers);
          for (TargetId t : all) {
            if (call == TargetCall.REGISTER) {
              journal.accept("register " + t);
              states.put(t.toString(), "healthy");
            } else if (states.remove(t.toString()) != null) {
              journal.accept("deregister " + t);
            }
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

      @Override
      public Optional<Duration> deregistrationDelay(TrafficSpec traffic) {
        return Optional.of(Duration.ZERO);
      }

      @Override
      public TargetHealthCheck healthCheck(TrafficSpec traffic) {
        return healthCheck;
      }
    };
  }

  public FleetCoordinator fleet(String me) {
    return new FleetCoordinator() {
      @Override
      public List<PeerTarget> targets(ServiceSpec service) {
        if (!service.hasLoadBalancer()) {
          return List.of();
        }
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
      public Optional<String> rolledBackBy(ServiceSpec service, Digest digest) {
        synchronized (FakeTargetGroup.this) {
          return peersOf(me, service).entrySet().stream()
              .filter(e -> digest.equals(e.getValue().failed()))
              .map(Map.Entry::getKey)
              .findFirst();
        }
      }

      @Override
      public Map<String, Digest> peersRunning(ServiceSpec service) {
        synchronized (FakeTargetGroup.this) {
          Map<String, Digest> running = new TreeMap<>();
          peersOf(me, service)
              .forEach(
                  (host, state) -> {
                    if (state.running() != null) {
                      running.put(host, state.running());
                    }
                  });
          return running;
        }
      }

      @Override
      public void publish(ServiceSpec service, PublishedState state) {
        synchronized (FakeTargetGroup.this) {
          published.computeIfAbsent(me, h -> new HashMap<>()).put(service.name(), state);
        }
      }

      @Override
      public void flush() {}
    };
  }
}
