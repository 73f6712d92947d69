package dev.driftguard.fleet;

import dev.driftguard.aws.AwsErrors;
import dev.driftguard.model.AwsCallListener;
import dev.driftguard.model.Digest;
import dev.driftguard.model.Phase;
import dev.driftguard.model.ServiceSpec;
import dev.driftguard.model.TargetState;
import dev.driftguard.model.TrafficSpec;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.DescribeTagsResponse;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.TagDescription;
import software.amazon.awssdk.services.elasticloadbalancingv2.ElasticLoadBalancingV2Client;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.DescribeTargetHealthResponse;
import software.amazon.awssdk.services.elasticloadbalancingv2.model.TargetHealthDescription;

/**
 * The fleet as AWS already records it: the capacity floor reads the service's ELBv2 target group
 * ({@code DescribeTargetHealth}), and hosts tell each other through EC2 tags on their own
 * instances: published state and the circuit breaker's failed digest ({@link PublishedStateTags},
 * written throttle-safe by {@link Ec2TagPublisher}). Turns to leave service are not taken here but
 * on the {@link TurnLease}: tags are eventually consistent. Peers' tags are read with {@code
 * DescribeTags}.
 *
 * <p>Reads fail with {@link FleetCoordinationException} (the caller must not take "unreadable" for
 * "no peers"); writes never throw. Every call is reported to the {@link AwsCallListener}.
 */
public final class AwsFleetCoordinator implements FleetCoordinator {
  /**
   * At most one published-state {@code CreateTags} per service this often; mid-deploy states wait
   * longer in a large fleet ({@link #fleetSize}).
   */
  public static final Duration DEFAULT_PUBLISH_INTERVAL = Duration.ofSeconds(5);

  private static final Logger logger = LoggerFactory.getLogger(AwsFleetCoordinator.class);

  private final ElasticLoadBalancingV2Client elbv2;

  /** Built on first use: an in-sync host decides before it publishes or reads a peer's tags. */
  private final Supplier<Ec2Client> ec2;

  private final String instanceId;
  private final AwsCallListener listener;
  private final Clock clock;
  private final Ec2TagPublisher publisher;

  /**
   * Per service, the digest a peer was seen to have published as failed ({@link #rolledBackBy}). A
   * host that refuses that digest publishes it as failed too, but it is no news to peers, and every
   * waiting host refuses it at about the same moment: its write waits the host's own share of the
   * fleet's publish interval instead of going out at once. Sent at once by each of 2,000 refusing
   * hosts, those writes kept EC2's mutating bucket (5/s) at ~10 attempts a second.
   */
  private final Map<String, String> failedByPeers = new ConcurrentHashMap<>();

  /**
   * @param ec2 the EC2 client, asked for at its first use: building it loads about 900 classes (the
   *     JVM verifies the client against every request class of EC2's ~800 operations), half a
   *     second of an agent's start that the first decision does not need (issue 11)
   * @param instanceId this instance: the only resource it tags, and excluded from "peers"
   * @param publishInterval the least time between two published-state writes per service ({@link
   *     #DEFAULT_PUBLISH_INTERVAL} in production)
   */
  public AwsFleetCoordinator(
      ElasticLoadBalancingV2Client elbv2,
      Supplier<Ec2Client> ec2,
      String instanceId,
      AwsCallListener listener,
      Clock clock,
      Duration publishInterval) {
    this.elbv2 = Objects.requireNonNull(elbv2, "elbv2");
    this.ec2 = Objects.requireNonNull(ec2, "ec2");
    if (instanceId == null || instanceId.isBlank()) {
      throw new IllegalArgumentException("instanceId must be set");
    }
    this.instanceId = instanceId;
    this.listener = Objects.requireNonNull(listener, "listener");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.publisher = new Ec2TagPublisher(ec2, instanceId, listener, clock, publishInterval);
  }

  /** On the system clock with {@link #DEFAULT_PUBLISH_INTERVAL}. */
  public static AwsFleetCoordinator create(
      ElasticLoadBalancingV2Client elbv2,
      Supplier<Ec2Client> ec2,
      String instanceId,
      AwsCallListener listener) {
    return new AwsFleetCoordinator(
        elbv2, ec2, instanceId, listener, Clock.systemUTC(), DEFAULT_PUBLISH_INTERVAL);
  }

  @Override
  public List<PeerTarget> targets(ServiceSpec service) {
    if (!service.hasLoadBalancer()) {
      return List.of();
    }
    TrafficSpec traffic = service.traffic();
    String arn = traffic.targetGroupArn().value();
    DescribeTargetHealthResponse response =
        call(
            "elbv2",
            "ELBv2",
            "DescribeTargetHealth",
            "target group " + arn,
            () -> elbv2.describeTargetHealth(b -> b.targetGroupArn(arn)));
    List<PeerTarget> targets = new ArrayList<>();
    for (TargetHealthDescription d : response.targetHealthDescriptions()) {
      if (d.target() == null || d.target().id() == null) {
        continue;
      }
      int port = d.target().port() == null ? 0 : d.target().port();
      TargetState state =
          d.targetHealth() == null
              ? TargetState.UNAVAILABLE
              : TargetState.fromElbv2(
                  d.targetHealth().stateAsString(), d.targetHealth().reasonAsString());
      targets.add(new PeerTarget(d.target().id(), port, state));
    }
    return List.copyOf(targets);
  }

  @Override
  public Optional<String> rolledBackBy(ServiceSpec service, Digest digest) {
    String key = PublishedStateTags.key(service.name(), PublishedStateTags.FAILED);
    // The lowest instance id, so every host names the same peer in its log line.
    Optional<String> peer = peerTags(key, digest.value()).keySet().stream().findFirst();
    peer.ifPresent(p -> failedByPeers.put(service.name(), digest.value()));
    return peer;
  }

  @Override
  public java.util.Map<String, Digest> peersRunning(ServiceSpec service) {
    java.util.Map<String, Digest> running = new TreeMap<>();
    peerTags(PublishedStateTags.key(service.name(), PublishedStateTags.RUNNING), null)
        .forEach(
            (peer, value) -> {
              try {
                running.put(peer, Digest.parse(value));
              } catch (RuntimeException e) {
                // Empty (nothing running there) or edited by hand: it tells nothing.
              }
            });
    return running;
  }

  @Override
  public void publish(ServiceSpec service, PublishedState state) {
    PublishedState stamped =
        state.updatedAt() == null || state.updatedAt().isBlank()
            ? new PublishedState(
                state.running(),
                state.phase(),
                state.lastOutcome(),
                state.failed(),
                clock.instant().toString())
            : state;
    // A digest a peer already published as failed: this host refused it, as every waiting host
    // did once that rollback became visible. No news to peers, and 2,000 writes at once.
    boolean refusedAfterPeer =
        state.failed() != null && state.failed().value().equals(failedByPeers.get(service.name()));
    Ec2TagPublisher.Pace pace;
    if (!Phase.IDLE.label().equals(state.phase())) {
      pace = Ec2TagPublisher.Pace.MID_DEPLOY;
    } else {
      pace =
          refusedAfterPeer ? Ec2TagPublisher.Pace.SETTLED_FLEET_WIDE : Ec2TagPublisher.Pace.SETTLED;
    }
    publisher.offer(
        service.name(),
        PublishedStateTags.toTags(service.name(), stamped),
        PublishedStateTags.key(service.name(), PublishedStateTags.UPDATED),
        refusedAfterPeer ? null : PublishedStateTags.key(service.name(), PublishedStateTags.FAILED),
        pace);
  }

  /** Stretches the interval of mid-deploy published states (see {@link Ec2TagPublisher}). */
  @Override
  public void fleetSize(int hosts) {
    publisher.fleetSize(hosts);
  }

  /**
   * Sends published states that were held back by the publish interval. Call it once per loop pass,
   * so the last state of a deploy goes out even when nothing changes afterwards. Never throws.
   */
  @Override
  public void flush() {
    publisher.flush(service -> PublishedStateTags.key(service, PublishedStateTags.UPDATED));
  }

  /** Whether a published state of {@code service} is held back (coalesced or failed). */
  public boolean publishPending(ServiceSpec service) {
    return publisher.pending(service.name());
  }

  /**
   * Peers' values of tag {@code key} ({@code DescribeTags}, every page), optionally only those
   * equal to {@code value}; this instance excluded; sorted by instance id.
   */
  private SortedMap<String, String> peerTags(String key, String value) {
    List<Filter> filters = new ArrayList<>();
    filters.add(Filter.builder().name("resource-type").values("instance").build());
    filters.add(Filter.builder().name("key").values(key).build());
    if (value != null) {
      filters.add(Filter.builder().name("value").values(value).build());
    }
    SortedMap<String, String> tags = new TreeMap<>();
    String token = null;
    do {
      String next = token;
      DescribeTagsResponse response =
          call(
              "ec2",
              "EC2",
              "DescribeTags",
              "tag " + key,
              () -> ec2.get().describeTags(b -> b.filters(filters).nextToken(next)));
      for (TagDescription t : response.tags()) {
        if (t.resourceId() != null && !t.resourceId().equals(instanceId)) {
          tags.put(t.resourceId(), t.value() == null ? "" : t.value());
        }
      }
      token = response.nextToken();
    } while (token != null && !token.isEmpty());
    return tags;
  }

  private <T> T call(
      String service, String api, String operation, String context, Supplier<T> request) {
    try {
      T response = request.get();
      listener.onSuccess(service, operation);
      return response;
    } catch (SdkException e) {
      listener.onError(service, operation, AwsErrors.code(e));
      throw new FleetCoordinationException(
          AwsErrors.failed(api, operation, context, e), AwsErrors.throttled(e), e);
    }
  }
}
