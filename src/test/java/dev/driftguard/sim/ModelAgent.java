package dev.driftguard.sim;

import dev.driftguard.desired.DesiredStateSource.RawRecord;
import dev.driftguard.desired.DesiredStateUnavailableException;
import dev.driftguard.desired.SsmDesiredStateSource;
import dev.driftguard.fleet.AwsFleetCoordinator;
import dev.driftguard.fleet.DynamoDbTurnLease;
import dev.driftguard.fleet.FleetCoordinationException;
import dev.driftguard.fleet.FleetCoordinator;
import dev.driftguard.fleet.FleetCoordinator.PublishedState;
import dev.driftguard.fleet.TurnLease;
import dev.driftguard.health.HealthCheck;
import dev.driftguard.model.AwsCallListener;
import dev.driftguard.model.ContainerInfo;
import dev.driftguard.model.DesiredRecord;
import dev.driftguard.model.DesiredSource;
import dev.driftguard.model.DesiredState;
import dev.driftguard.model.Digest;
import dev.driftguard.model.ImageRef;
import dev.driftguard.model.RunSpec;
import dev.driftguard.model.ServiceSpec;
import dev.driftguard.model.TargetState;
import dev.driftguard.model.TrafficSpec;
import dev.driftguard.reconcile.CapacityFloor;
import dev.driftguard.runtime.ContainerRuntimeException;
import dev.driftguard.traffic.Elbv2TrafficGate;
import dev.driftguard.traffic.TrafficGate;
import dev.driftguard.traffic.TrafficGateException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;

/**
 * A stand-in for the reshaped reconcile loop, for the simulator until {@code ReconcileLoop.tick()}
 * lands: the deploy of DESIGN 3 and the turn-taking of DESIGN 4 for one stop-first service, as a
 * non-blocking state machine that does at most one step per tick, on the agent's real adapters
 * ({@link SsmDesiredStateSource}, {@link DynamoDbTurnLease} or another {@link TurnLease}, {@link
 * Elbv2TrafficGate}, {@link AwsFleetCoordinator}). It is the model the design notes measure, not
 * the agent: the agent's own loop runs through {@code ReconcileLoopHost}.
 *
 * <p>Rules it follows, each a finding of the simulator: the desired-state poll spreads the fleet
 * over an SSM budget of {@link #SSM_READS_PER_SECOND}; a host leaves service only while it holds a
 * lease, checks the circuit breaker after winning it, and keeps renewing it until its target is
 * healthy again; a {@code healthy} answer that cannot be newer than its own RegisterTargets (less
 * than {@code healthyThreshold x interval} after it) is ignored as a lagged read; every AWS error
 * is retried with jittered backoff and never ends a deploy.
 */
public final class ModelAgent implements SimHost {
  /** The fleet's share of Parameter Store's 40 TPS for desired-state polls. */
  static final double SSM_READS_PER_SECOND = 20;

  static final Duration LEASE_TTL = Duration.ofMinutes(2);
  static final Duration STEP = Duration.ofSeconds(2);
  static final Duration RUN_ONCE = Duration.ofSeconds(30);

  /** Between DescribeTargetHealth polls while waiting for healthy. */
  static final Duration HEALTHY_POLL = Duration.ofSeconds(5);

  /** Between tries for a turn while every slot is held. */
  static final Duration TURN_POLL = Duration.ofSeconds(10);

  /** How old the shared count of the target group may be. */
  static final Duration CENSUS_MAX_AGE = Duration.ofSeconds(10);

  /** How long a circuit-breaker answer is used before asking EC2 again. */
  static final Duration BREAKER_TTL = Duration.ofSeconds(30);

  /** How often the termination notice is looked at (IMDS, no AWS API budget). */
  static final Duration NOTICE_CHECK = Duration.ofSeconds(5);

  private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

  private enum Step {
    IDLE,
    WAIT_TURN,
    DRAIN,
    SWITCH,
    HEALTH,
    WAIT_HEALTHY,
    ROLLBACK
  }

  private final Wiring w;
  private final ServiceSpec service;
  private final SsmDesiredStateSource desired;
  private final TurnLease lease;
  private final TrafficGate gate;
  private final AwsFleetCoordinator fleet;
  private final HealthCheck health;
  private final boolean runOnce;
  private final long minHealthyMillis;
  private final long firstHealthyPollMillis;
  private final Duration pollEvery;
  private final Set<Digest> failed = new HashSet<>();
  private ImageRef wanted;
  private long nextPoll;
  private long pollBackoff;
  private Step step = Step.IDLE;
  private boolean rollingBack;
  private TurnLease.Lease held;
  private long renewAt;
  private long until;
  private int passes;
  private long registeredAt;
  private long backoff = STEP.toMillis();
  private boolean evacuated;
  private boolean presenceChecked;
  private boolean resumed;
  private long retryAt;
  private Digest breakerDigest;
  private boolean breakerSaysBad;
  private long breakerCheckedAt;
  private int fleetSize;
  private TurnLease.Run task;
  private long taskEnds;
  private long taskRenewAt;

  /**
   * @param leases builds the turn lease from the host's wiring (DynamoDB in production; the SSM
   *     candidate for the comparison)
   * @param runOnce whether the rollout has a one-time task ({@code rollout.runOnce})
   */
  public ModelAgent(Wiring wiring, Function<Wiring, TurnLease> leases, boolean runOnce) {
    this.w = wiring;
    this.service = wiring.services().get(0);
    this.desired = new SsmDesiredStateSource(wiring.ssm(), AwsCallListener.NONE);
    this.lease = leases.apply(wiring);
    this.gate = new Elbv2TrafficGate(wiring.elbv2(), wiring.instanceId(), AwsCallListener.NONE);
    this.fleet =
        new AwsFleetCoordinator(
            wiring.elbv2(),
            wiring::ec2,
            wiring.instanceId(),
            AwsCallListener.NONE,
            wiring.clock(),
            AwsFleetCoordinator.DEFAULT_PUBLISH_INTERVAL);
    this.health = wiring.healthChecks().forType(service.health().type());
    this.runOnce = runOnce;
    this.minHealthyMillis = 2 * 5_000L;
    this.firstHealthyPollMillis = minHealthyMillis + 5_000L + 5_000L;
    this.fleetSize = wiring.expectedFleetSize();
    double spread = wiring.expectedFleetSize() / SSM_READS_PER_SECOND;
    this.pollEvery =
        Duration.ofMillis(Math.max(wiring.pollInterval().toMillis(), (long) (spread * 1000)));
  }

  /** The production lease: DynamoDB conditional writes. */
  public static TurnLease dynamoDb(Wiring w) {
    return new DynamoDbTurnLease(
        w.dynamodb(),
        w.leaseTable(),
        w.clock(),
        w.maxClockSkew(),
        w.random(),
        AwsCallListener.NONE);
  }

  /** The candidate the design note compares: create-if-absent SSM parameters. */
  public static TurnLease ssm(Wiring w) {
    return new SsmTurnLease(w.ssm(), w.clock(), w.maxClockSkew(), w.random());
  }

  private long now() {
    return w.clock().millis();
  }

  @Override
  public Duration tick() {
    try {
      Duration next = step();
      backoff = STEP.toMillis();
      return next;
    } catch (FleetCoordinationException
        | TrafficGateException
        | DesiredStateUnavailableException e) {
      // A fault is never a verdict: the same step runs again after a jittered backoff.
      boolean throttled =
          (e instanceof FleetCoordinationException f && f.throttled())
              || (e instanceof TrafficGateException t && t.throttled())
              || (e instanceof DesiredStateUnavailableException d && d.throttled());
      backoff = throttled ? Math.min(backoff * 2, MAX_BACKOFF.toMillis()) : STEP.toMillis();
      retryAt = now() + jitter(backoff).toMillis();
      return Duration.ofMillis(Math.min(retryAt - now(), NOTICE_CHECK.toMillis()));
    }
  }

  private Duration step() {
    Optional<String> notice = w.terminationNotice().get();
    if (notice.isPresent()) {
      return evacuate();
    }
    if (now() < retryAt) {
      return Duration.ofMillis(Math.min(retryAt - now(), NOTICE_CHECK.toMillis()));
    }
    renewIfDue();
    if (now() >= nextPoll) {
      poll();
    }
    return switch (step) {
      case IDLE -> decide();
      case WAIT_TURN -> waitTurn();
      case DRAIN -> drain();
      case SWITCH -> doSwitch();
      case HEALTH -> checkHealth();
      case WAIT_HEALTHY -> waitHealthy();
      case ROLLBACK -> rollBack();
    };
  }

  private Duration evacuate() {
    if (!evacuated) {
      gate.deregister(traffic(), service.trafficSpec().orElseThrow().port());
      if (held != null) {
        lease.release(held);
        held = null;
      }
      evacuated = true;
    }
    return Duration.ofSeconds(30);
  }

  private void poll() {
    String name = ((DesiredSource.Ssm) service.desired()).parameterName();
    try {
      RawRecord raw = desired.read(List.of(name)).get(name);
      DesiredState state =
          DesiredRecord.parse(
              raw == null ? null : raw.value(),
              raw == null ? 0 : raw.version(),
              service.allowedRegistries());
      if (state instanceof DesiredState.Pinned pinned) {
        wanted = pinned.image();
      }
      pollBackoff = 0;
      nextPoll = now() + jitter(pollEvery.toMillis()).toMillis();
    } catch (DesiredStateUnavailableException e) {
      pollBackoff = Math.min(Math.max(pollBackoff * 2, pollEvery.toMillis()), 300_000);
      nextPoll = now() + jitter(pollBackoff).toMillis();
    }
  }

  /** Until the next poll, but never past the next look at the termination notice. */
  private Duration untilPoll() {
    return Duration.ofMillis(Math.max(1, Math.min(nextPoll - now(), NOTICE_CHECK.toMillis())));
  }

  private Optional<ContainerInfo> current() {
    return w.runtime().inspect(service.containerName());
  }

  private Duration decide() {
    if (!presenceChecked) {
      // Once per agent start, when a deploy was under way (the previous container is still
      // there): the restart may have left the host deregistered. An agent in sync asks nothing.
      presenceChecked = true;
      boolean midDeploy = w.runtime().inspect(service.previousContainerName()).isPresent();
      if (midDeploy && current().filter(ContainerInfo::running).isPresent()) {
        TargetState state = gate.state(traffic(), port());
        if (state == TargetState.NOT_REGISTERED
            || state == TargetState.UNUSED
            || state == TargetState.DRAINING) {
          gate.register(traffic(), port());
          registeredAt = now();
          held =
              lease
                  .acquire(
                      service.trafficSpec().orElseThrow().targetGroupArn().value(),
                      Integer.MAX_VALUE,
                      w.instanceId(),
                      LEASE_TTL)
                  .orElse(null);
          rollingBack = false;
          resumed = true;
          step = Step.WAIT_HEALTHY;
          return Duration.ofMillis(minHealthyMillis + 1_000);
        }
      }
    }
    if (wanted == null) {
      return untilPoll();
    }
    Optional<ContainerInfo> running = current().filter(ContainerInfo::running);
    Digest runningDigest = running.flatMap(ContainerInfo::digest).orElse(null);
    if (wanted.digest().equals(runningDigest) || failed.contains(wanted.digest())) {
      return untilPoll();
    }
    // The circuit breaker is asked once the turn is won (EC2 DescribeTags has 20/s for the
    // account): pulling a digest that a peer rolled back costs nothing but disk.
    w.runtime().pull(wanted, null);
    if (running.isEmpty()) {
      // A host with nothing running is out of service anyway: it needs no turn.
      if (rolledBack(wanted.digest())) {
        failed.add(wanted.digest());
        return untilPoll();
      }
      rollingBack = false;
      step = Step.SWITCH;
      return Duration.ZERO;
    }
    step = Step.WAIT_TURN;
    return Duration.ZERO;
  }

  private Duration waitTurn() {
    if (runOnce) {
      Optional<Duration> wait = runOnceFirst();
      if (wait.isPresent()) {
        return wait.get();
      }
    }
    int slots = CapacityFloor.allowedOut(fleetSize, service.rollout());
    Optional<TurnLease.Lease> got =
        lease.acquire(
            service.trafficSpec().orElseThrow().targetGroupArn().value(),
            slots,
            w.instanceId(),
            LEASE_TTL);
    if (got.isEmpty()) {
      return jitter(TURN_POLL.toMillis());
    }
    held = got.get();
    renewAt = now() + LEASE_TTL.toMillis() / 3;
    if (rolledBack(wanted.digest())) {
      failed.add(wanted.digest());
      lease.release(held);
      held = null;
      step = Step.IDLE;
      return untilPoll();
    }
    // The second, independent check: the group's own view, which also counts dead and unhealthy
    // hosts the leases know nothing of, and tells the group's current size.
    Set<String> holders = new HashSet<>();
    for (TurnLease.Lease l : lease.holders(held.pool())) {
      holders.add(l.owner());
    }
    Census census = census(holders);
    fleetSize = census.members();
    int allowed = CapacityFloor.allowedOut(fleetSize, service.rollout());
    // Leases are counted against the group's size now, not the size when the slots were set (a
    // group that shrank lowers a percentage floor under hosts holding turns), together with the
    // group's unhealthy hosts that hold no turn (dead, failing): the second, independent check.
    if (holders.size() + census.outWithoutTurn() > allowed) {
      lease.release(held);
      held = null;
      return jitter(10_000);
    }
    gate.deregister(traffic(), port());
    until = now() + w.deregistrationDelay().toMillis();
    step = Step.DRAIN;
    return Duration.ofMillis(until - now());
  }

  /**
   * The rollout's one-time task, before any host switches: run it when this host wins it, wait
   * while another runs it, give up the digest when it failed.
   *
   * @return how long to wait, or empty to go on to the turn
   */
  private Optional<Duration> runOnceFirst() {
    if (task != null) {
      if (now() < taskEnds) {
        if (now() >= taskRenewAt) {
          if (!lease.renewRun(task, LEASE_TTL)) {
            task = null;
            w.outcomes().runOnce(false, false);
            return Optional.of(jitter(5_000));
          }
          taskRenewAt = now() + LEASE_TTL.toMillis() / 3;
        }
        return Optional.of(Duration.ofMillis(taskEnds - now()));
      }
      boolean recorded = lease.finishRun(task, TurnLease.RunState.SUCCEEDED);
      task = null;
      w.outcomes().runOnce(false, recorded);
    }
    String name = service.name() + "@" + wanted.digest().value();
    TurnLease.Run run = lease.beginRun(name, w.instanceId(), LEASE_TTL);
    if (run.runBy(w.instanceId())) {
      task = run;
      taskEnds = now() + RUN_ONCE.toMillis();
      taskRenewAt = now() + LEASE_TTL.toMillis() / 3;
      w.outcomes().runOnce(true, false);
      return Optional.of(RUN_ONCE);
    }
    if (run.state() == TurnLease.RunState.RUNNING) {
      return Optional.of(jitter(5_000));
    }
    if (run.state() == TurnLease.RunState.FAILED) {
      failed.add(wanted.digest());
      step = Step.IDLE;
      return Optional.of(untilPoll());
    }
    return Optional.empty();
  }

  private Duration drain() {
    // No DescribeTargetHealth polls while draining: ELBv2's Describe* bucket (10/s for the whole
    // account) cannot pay for hundreds of hosts polling; the deregistration delay is known.
    if (now() < until) {
      return Duration.ofMillis(until - now());
    }
    step = Step.SWITCH;
    rollingBack = false;
    return Duration.ZERO;
  }

  private Duration doSwitch() {
    String name = service.containerName();
    String previous = service.previousContainerName();
    if (current().isPresent()) {
      w.runtime().remove(previous);
      w.runtime().rename(name, previous);
      w.runtime().stop(previous, "SIGTERM", Duration.ofSeconds(10));
    }
    try {
      w.runtime().create(name, RunSpec.render(service, wanted, Map.of()));
    } catch (ContainerRuntimeException e) {
      // Created before a crash or restart: start what is there.
    }
    w.runtime().start(name);
    until = now() + service.health().deadline().toMillis();
    passes = 0;
    step = Step.HEALTH;
    return STEP;
  }

  private Duration checkHealth() {
    ContainerInfo c = current().orElse(null);
    boolean pass =
        c != null
            && c.running()
            && health.probe(c, service.container(), service.health()).healthy();
    passes = pass ? passes + 1 : 0;
    if (passes >= service.health().healthyThreshold()) {
      gate.register(traffic(), port());
      registeredAt = now();
      step = Step.WAIT_HEALTHY;
      // The target cannot be healthy before healthyThreshold checks have passed; one more
      // interval and the read lag make the first DescribeTargetHealth usually the last.
      return Duration.ofMillis(firstHealthyPollMillis);
    }
    if (now() >= until) {
      if (rollingBack) {
        // The previous image fails too: stay as it is and retry from the next poll.
        until = now() + service.health().deadline().toMillis();
        return STEP;
      }
      step = Step.ROLLBACK;
      return Duration.ZERO;
    }
    return STEP;
  }

  private Duration waitHealthy() {
    TargetState state = gate.state(traffic(), port());
    if (state == TargetState.HEALTHY && now() >= registeredAt + minHealthyMillis) {
      if (held != null) {
        lease.release(held);
        held = null;
      }
      w.outcomes().deploy(resumed ? "resumed" : rollingBack ? "rolled_back" : "success", false);
      boolean deployed = !rollingBack && !resumed;
      resumed = false;
      if (deployed) {
        fleet.publish(service, new PublishedState(wanted.digest(), "IDLE", "success", null, null));
        fleet.flush();
      }
      step = Step.IDLE;
      return untilPoll();
    }
    if (state == TargetState.NOT_REGISTERED || state == TargetState.UNUSED) {
      gate.register(traffic(), port());
    }
    return jitter(HEALTHY_POLL.toMillis());
  }

  private Duration rollBack() {
    failed.add(wanted.digest());
    fleet.publish(
        service, new PublishedState(null, "ROLLBACK", "rolled_back", wanted.digest(), null));
    fleet.flush();
    String name = service.containerName();
    w.runtime().remove(name);
    w.runtime().rename(service.previousContainerName(), name);
    w.runtime().start(name);
    rollingBack = true;
    until = now() + service.health().deadline().toMillis();
    passes = 0;
    step = Step.HEALTH;
    return STEP;
  }

  /**
   * The circuit breaker (EC2 DescribeTags), asked at most every {@link #BREAKER_TTL} per digest: a
   * host that retries its turn must not spend the account's EC2 budget on every try.
   */
  private boolean rolledBack(Digest digest) {
    if (!digest.equals(breakerDigest) || now() >= breakerCheckedAt + BREAKER_TTL.toMillis()) {
      breakerDigest = digest;
      breakerSaysBad = fleet.rolledBackBy(service, digest).isPresent();
      breakerCheckedAt = now();
    }
    return breakerSaysBad;
  }

  /** The group's size and its hosts out of service without a turn, as last counted. */
  record Census(int members, int outWithoutTurn) {}

  /**
   * The target group's own count, shared by the fleet through the lease table: whoever finds it
   * older than {@link #CENSUS_MAX_AGE} reads the whole group (one DescribeTargetHealth) and writes
   * it back (conditional, so one writer wins). The account's ELBv2 Describe* bucket (10/s) then
   * pays for one group read every few seconds, not one per deploy.
   */
  private Census census(Set<String> holders) {
    Map<String, AttributeValue> key =
        Map.of(
            "pool",
            AttributeValue.fromS("census#" + traffic().targetGroupArn().value()),
            "slot",
            AttributeValue.fromN("0"));
    Map<String, AttributeValue> item =
        w.dynamodb().getItem(b -> b.tableName(w.leaseTable()).key(key).consistentRead(true)).item();
    long now = now();
    if (item != null
        && !item.isEmpty()
        && Long.parseLong(item.get("at").n()) >= now - CENSUS_MAX_AGE.toMillis()) {
      return new Census(
          Integer.parseInt(item.get("members").n()),
          Integer.parseInt(item.get("outWithoutTurn").n()));
    }
    Set<String> members = new HashSet<>();
    int outWithoutTurn = 0;
    for (FleetCoordinator.PeerTarget t : fleet.targets(service)) {
      boolean turn = holders.contains(t.instanceId());
      // A draining target without a turn is leaving the group (a terminated instance).
      if (t.state() == TargetState.DRAINING && !turn) {
        continue;
      }
      if (members.add(t.instanceId())
          && t.state() != TargetState.HEALTHY
          && !turn
          && !t.instanceId().equals(w.instanceId())) {
        outWithoutTurn++;
      }
    }
    members.add(w.instanceId());
    Census fresh = new Census(members.size(), outWithoutTurn);
    Map<String, AttributeValue> next = new java.util.HashMap<>(key);
    next.put("at", AttributeValue.fromN(Long.toString(now)));
    next.put("members", AttributeValue.fromN(Integer.toString(fresh.members())));
    next.put("outWithoutTurn", AttributeValue.fromN(Integer.toString(fresh.outWithoutTurn())));
    try {
      w.dynamodb()
          .putItem(
              b ->
                  b.tableName(w.leaseTable())
                      .item(next)
                      .conditionExpression("attribute_not_exists(#at) OR #at < :cutoff")
                      .expressionAttributeNames(Map.of("#at", "at"))
                      .expressionAttributeValues(
                          Map.of(
                              ":cutoff",
                              AttributeValue.fromN(
                                  Long.toString(now - CENSUS_MAX_AGE.toMillis())))));
    } catch (ConditionalCheckFailedException e) {
      // Another host counted at the same time; ours is as good for this decision.
    }
    return fresh;
  }

  private void renewIfDue() {
    if (held != null && now() >= renewAt) {
      if (!lease.renew(held, LEASE_TTL)) {
        // Lost (expired and taken over): keep going, but the turn is no longer ours.
        held = null;
        w.outcomes().deploy("lease_lost", false);
        return;
      }
      renewAt = now() + LEASE_TTL.toMillis() / 3;
    }
  }

  private TrafficSpec traffic() {
    return service.trafficSpec().orElseThrow();
  }

  private int port() {
    return service.trafficSpec().orElseThrow().port();
  }

  private Duration jitter(long millis) {
    return Duration.ofMillis(Math.max(1, (long) (millis * (0.8 + 0.4 * w.random().nextDouble()))));
  }
}
