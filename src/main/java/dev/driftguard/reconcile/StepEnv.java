package dev.driftguard.reconcile;

import dev.driftguard.desired.SecretSource;
import dev.driftguard.fleet.FleetCoordinationException;
import dev.driftguard.fleet.FleetCoordinator.PeerTarget;
import dev.driftguard.fleet.TurnLease;
import dev.driftguard.health.HealthCheck;
import dev.driftguard.model.BackendException;
import dev.driftguard.model.ContainerInfo;
import dev.driftguard.model.ImageRef;
import dev.driftguard.model.PortBinding;
import dev.driftguard.model.RegistryCredential;
import dev.driftguard.model.RunSpec;
import dev.driftguard.model.ServiceSpec;
import dev.driftguard.model.TargetCall;
import dev.driftguard.model.TargetHealthCheck;
import dev.driftguard.model.TargetState;
import dev.driftguard.model.TrafficSpec;
import dev.driftguard.registry.RegistryAuth;
import dev.driftguard.runtime.ContainerRuntime;
import dev.driftguard.runtime.RegistryUnauthorizedException;
import dev.driftguard.traffic.TrafficGate;
import dev.driftguard.traffic.TrafficGateException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.random.RandomGenerator;

/**
 * What the deploy steps work with: the ports, the clock and the pacing, plus the few operations
 * several steps share (pull with a token refresh, render the run spec, which port serves). One per
 * agent.
 */
record StepEnv(
    ContainerRuntime runtime,
    RegistryAuth registryAuth,
    SecretSource secrets,
    TrafficGate traffic,
    FleetSizeWatch fleet,
    TurnLease turns,
    HealthCheck.Factory healthChecks,
    StateBook states,
    ReconcileListener listener,
    Clock clock,
    RandomGenerator random,
    DeployTiming timing,
    String instanceId,
    TargetCalls calls) {

  /**
   * A mark in the order of the service's shared census (rule 2 of docs/design/fleet-at-scale.md):
   * {@link #census} with it takes a census read from ELBv2 after this call, however skewed the
   * hosts' clocks. {@link TurnLease#NO_CENSUS} when the table does not answer.
   */
  long censusMark(ServiceSpec service) {
    try {
      return turns.censusMark(pool(service));
    } catch (FleetCoordinationException e) {
      return TurnLease.NO_CENSUS;
    }
  }

  /**
   * Every target of the service's group, read after {@code mark} was taken ({@link #censusMark}) or
   * after {@code notBefore}: the census a peer shared through the lease table when one is that
   * recent (TurnLease#sharedCensus: by the table's counter, which holds under any clock skew, or by
   * the writer's clock within the skew bound the leases assume), else a read of ELBv2, numbered
   * before it began, then shared. One read serves every host that decides soon after, where each
   * deciding host's own read took most of the account's Describe* bucket (10/s) at 2,000 hosts. The
   * table failing to answer is no reason to stop: the group is read.
   *
   * @throws dev.driftguard.fleet.FleetCoordinationException when ELBv2 must be read and cannot be
   */
  List<PeerTarget> census(ServiceSpec service, long mark, Instant notBefore) {
    String pool = pool(service);
    long number = TurnLease.NO_CENSUS;
    try {
      Optional<List<PeerTarget>> shared = turns.sharedCensus(pool, mark, notBefore);
      if (shared.isPresent()) {
        fleet.learn(service, shared.get());
        return shared.get();
      }
      // Taken before the read: any mark taken until now is below it.
      number = turns.reserveCensus(pool);
    } catch (FleetCoordinationException e) {
      // Unknown here: read the group itself, as if nobody had shared.
    }
    List<PeerTarget> targets = fleet.targets(service);
    try {
      turns.shareCensus(pool, number, targets);
    } catch (FleetCoordinationException e) {
      // Peers read the group themselves, as before the census.
    }
    return targets;
  }

  /** Pulls by digest; a cached registry token may have been revoked: fetch a fresh one, once. */
  void pull(ImageRef image) {
    RegistryCredential credential = registryAuth.credentialFor(image.registry()).orElse(null);
    try {
      runtime.pull(image, credential);
    } catch (RegistryUnauthorizedException e) {
      registryAuth.invalidate(image.registry());
      runtime.pull(image, registryAuth.credentialFor(image.registry()).orElse(null));
    }
  }

  /**
   * Pulls {@code image} unless the engine already holds it by that digest. A resumed deploy
   * normally finds its image in place; asking the registry anyway would need a registry token first
   * (an ECR call after every restart) and fail the resume while ECR or the registry is down, with
   * the host already stopped.
   */
  void ensurePulled(ImageRef image) {
    boolean present =
        runtime.images(image.repositoryName()).stream()
            .anyMatch(local -> local.repoDigests().contains(image.pinned()));
    if (!present) {
      pull(image);
    }
  }

  /** The run spec of {@code image} with the service's settings and its secrets resolved. */
  RunSpec render(ServiceSpec service, ImageRef image) {
    Map<String, String> byParameter =
        service.container().envFromSsm().isEmpty()
            ? Map.of()
            : secrets.resolve(service.container().envFromSsm().values());
    Map<String, String> env = new TreeMap<>();
    service
        .container()
        .envFromSsm()
        .forEach((var, parameter) -> env.put(var, byParameter.get(parameter)));
    return RunSpec.render(service, image, env);
  }

  /**
   * The spec with its (single, as config enforces for start-first) port moved to {@code hostPort}.
   */
  static RunSpec onPort(RunSpec spec, int hostPort) {
    List<PortBinding> ports =
        spec.container().ports().stream()
            .map(p -> new PortBinding(p.hostIp(), hostPort, p.containerPort(), p.protocol()))
            .toList();
    return spec.withPorts(ports);
  }

  /**
   * The host port the load balancer sends {@code current}'s traffic to. A service that publishes
   * one port may have it moved by start-first (it alternates between the configured port and {@code
   * rollout.nextPort}), so the container's own label says where it is, whatever the strategy is
   * now: a service switched back to stop-first must drain the port its container really uses.
   * Services with several ports never move them (start-first allows only one).
   *
   * @param current the serving container, or null when there is none
   */
  static int servingPort(ServiceSpec service, ContainerInfo current) {
    int configured = service.hasLoadBalancer() ? service.traffic().port() : primaryPort(service);
    if (service.container().ports().size() != 1) {
      return configured;
    }
    return current == null ? configured : current.hostPort().orElse(configured);
  }

  /** {@link #servingPort} of the container that serves {@code service} now, asking the engine. */
  int currentServingPort(ServiceSpec service) {
    return servingPort(service, runtime().inspect(service.containerName()).orElse(null));
  }

  /** start-first: the port the new container takes, the one the serving container does not use. */
  static int otherPort(ServiceSpec service, int port) {
    int primary = primaryPort(service);
    return port == primary ? service.rollout().nextHostPort() : primary;
  }

  private static int primaryPort(ServiceSpec service) {
    return service.container().ports().isEmpty()
        ? 0
        : service.container().ports().get(0).hostPort();
  }

  static boolean runs(ContainerInfo container, ImageRef image) {
    return container != null && container.digest().map(image.digest()::equals).orElse(false);
  }

  /**
   * The turn-lease pool of {@code service}: its target group (hosts of several services behind one
   * group share its floor), or the service itself for a worker.
   */
  static String pool(ServiceSpec service) {
    return service.hasLoadBalancer()
        ? service.traffic().targetGroupArn().value()
        : "service/" + service.name();
  }

  /**
   * Registers {@code d}'s target on {@code port} unless this phase did already, and says how long
   * until reading its state is worth a call: none before the group can have called it healthy
   * ({@link TargetHealthCheck#firstRead}). Polling sooner would spend the account's shared
   * DescribeTargetHealth budget on answers that can only be {@code initial} or lagged. The
   * registration itself may wait first, for a peer's call to carry it ({@link TargetCalls}); until
   * {@code d.registered}, a wait is that one, whatever the phase's deadline says.
   *
   * @return how long to wait before calling this again, then {@link #registeredState}; zero when a
   *     read is due
   * @throws dev.driftguard.traffic.TrafficGateException when registering or reading the group's
   *     health-check settings fails
   */
  Duration untilFirstRead(Deploy d, TrafficSpec traffic, int port, Instant now) {
    if (!d.registered) {
      // Batched with peers' registrations: a wait here is the intent's window (TargetCalls).
      Duration wait = calls.make(d, TargetCall.REGISTER, traffic, port);
      if (!wait.isZero()) {
        return wait;
      }
      d.registered = true;
      d.registeredAt = now;
    }
    if (d.healthCheck == null) {
      // Once per registration: a refused read then costs one call and one warning, not two a poll.
      d.healthCheck = traffic().healthCheck(traffic);
    }
    Instant firstRead = d.healthCheck.firstRead(d.registeredAt);
    return now.isBefore(firstRead) ? Duration.between(now, firstRead) : Duration.ZERO;
  }

  /**
   * The state of {@code d}'s target registered in this phase (after {@link #untilFirstRead}), as
   * the load balancer reports it, except a {@code healthy} that cannot be newer than the
   * registration ({@link TargetHealthCheck#trustHealthyFrom}): that is a lagged read from before
   * this host left service, and the target is taken for {@code initial}. Trusting it hands the turn
   * on while the target is not in service yet, one host more out than the floor allows
   * (fleet-at-scale.md, rule 3).
   */
  TargetState registeredState(Deploy d, TrafficSpec traffic, int port, Instant now) {
    TargetState state = readState(d, traffic, port);
    Instant trustFrom = d.healthCheck.trustHealthyFrom(d.registeredAt);
    return state == TargetState.HEALTHY && now.isBefore(trustFrom) ? TargetState.INITIAL : state;
  }

  /**
   * The state of {@code d}'s target from the group's shared census (rule 2) where the lease table
   * shares one: a census read from ELBv2 after this phase's previous read, or for the first read
   * after now, so no answer is older than one poll. Each host waiting for its target to turn
   * healthy read its own target every poll; with reads lagging up to 30 s that was several reads
   * per turn and the account's Describe* bucket at 92 % under stress. One read now serves every
   * host registering at the time. Without a table (a host alone, or the table not answering), the
   * target is read itself, as before.
   *
   * @throws dev.driftguard.traffic.TrafficGateException when ELBv2 must be read and cannot be
   */
  private TargetState readState(Deploy d, TrafficSpec traffic, int port) {
    long after = d.stateReadMark != TurnLease.NO_CENSUS ? d.stateReadMark : censusMark(d.service);
    if (after == TurnLease.NO_CENSUS) {
      return traffic().state(traffic, port);
    }
    List<PeerTarget> group;
    try {
      // By the table's counter only: "now" by the writer's clock plus the skew bound is never met.
      group = census(d.service, after, clock.instant());
    } catch (FleetCoordinationException e) {
      throw new TrafficGateException(e.getMessage(), e.throttled(), e);
    }
    // Taken after the read: the next read needs a census read after this one.
    d.stateReadMark = censusMark(d.service);
    if (group.isEmpty()) {
      return traffic().state(traffic, port);
    }
    return PeerTarget.stateOf(group, instanceId, port);
  }

  /** {@code base} times a random factor in [0.5, 1.5), so hosts started together drift apart. */
  Duration jittered(Duration base) {
    return Duration.ofMillis((long) (base.toMillis() * (0.5 + random.nextDouble())));
  }

  /** The longest pause between reads of a throttled API within one phase. */
  static final Duration MAX_THROTTLED_PAUSE = Duration.ofSeconds(30);

  /**
   * The pause after a throttled read in a phase that has not touched the host's traffic yet (or can
   * wait in place): the bucket is the whole account's, so the step waits and reads again, doubling
   * from the gate poll up to {@link #MAX_THROTTLED_PAUSE}, jittered. Ending the deploy instead
   * turned throttling into faults whose backoff grows to 10 minutes: at 2,000 hosts 12,551 deploys
   * ended that way beside 1,971 that succeeded.
   */
  Duration throttledPause(Deploy d) {
    d.faultsInPhase++;
    Duration pause = timing.gatePoll().multipliedBy(1L << Math.min(d.faultsInPhase - 1, 10));
    if (pause.compareTo(MAX_THROTTLED_PAUSE) > 0) {
      pause = MAX_THROTTLED_PAUSE;
    }
    return Duration.ofMillis((long) (pause.toMillis() * (0.5 + 0.5 * random.nextDouble())));
  }

  /**
   * What a step does with a failed call it may wait out in its phase: a throttled call gives the
   * pause of {@link #throttledPause}, after which the step tries again; any other failure is
   * rethrown, for the runner to end the attempt as a fault.
   */
  Duration pauseIfThrottled(Deploy d, BackendException e) {
    if (!e.throttled()) {
      throw e;
    }
    return throttledPause(d);
  }

  /** Retry delay after {@code faults} faults in a row: doubling from the base, capped, jittered. */
  Duration backoff(int faults) {
    Duration base = timing.faultBackoff();
    Duration max = timing.maxFaultBackoff();
    Duration d = base.multipliedBy(1L << Math.min(Math.max(faults - 1, 0), 20));
    if (d.compareTo(max) > 0) {
      d = max;
    }
    // Full jitter on the upper half: never less than half the step, so retries still spread out.
    return Duration.ofMillis((long) (d.toMillis() * (0.5 + 0.5 * random.nextDouble())));
  }
}
