package dev.driftguard.reconcile;

import dev.driftguard.desired.DesiredStateSource;
import dev.driftguard.desired.DesiredStateSource.RawRecord;
import dev.driftguard.desired.DesiredStateUnavailableException;
import dev.driftguard.desired.SecretSource;
import dev.driftguard.fleet.FleetCoordinator;
import dev.driftguard.fleet.TurnLease;
import dev.driftguard.health.HealthCheck;
import dev.driftguard.host.ServingObserver;
import dev.driftguard.model.ContainerInfo;
import dev.driftguard.model.DeployPath;
import dev.driftguard.model.DesiredRecord;
import dev.driftguard.model.DesiredSource;
import dev.driftguard.model.DesiredState;
import dev.driftguard.model.HealthSpec;
import dev.driftguard.model.ImageRef;
import dev.driftguard.model.ObservedService;
import dev.driftguard.model.Phase;
import dev.driftguard.model.ServiceSpec;
import dev.driftguard.model.ServiceState;
import dev.driftguard.model.Sleeper;
import dev.driftguard.registry.RegistryAuth;
import dev.driftguard.runtime.ContainerRuntime;
import dev.driftguard.traffic.TrafficGate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's loop, as a {@link #tick}: each tick reads the instance's termination notice when due,
 * polls the desired state of every service in one batch when the (jittered, backed-off) poll is
 * due, observes and {@link Reconciler#decide decides} for each service that has no deploy under
 * way, and advances each deploy under way by at most one step. A tick never sleeps; it returns when
 * it wants to run again, so one thread can drive a host ({@link #run}) or a whole simulated fleet
 * in virtual time. A failure in one service is logged once for the poll and never stops the others;
 * a deploy that ended on a fault is retried after a capped, jittered backoff.
 */
public final class ReconcileLoop {
  private static final Logger logger = LoggerFactory.getLogger(ReconcileLoop.class);

  /** Longest wait between polls while the desired-state backend throttles or is down. */
  static final Duration MAX_BACKOFF = Duration.ofMinutes(5);

  private final List<ServiceSpec> services;
  private final Map<Class<? extends DesiredSource>, DesiredStateSource> sources;
  private final ContainerRuntime runtime;
  private final HealthCheck.Factory healthChecks;
  private final StepEnv env;
  private final DeployRunner runner;
  private final HostPresence presence;
  private final StateBook states;
  private final ImageJanitor janitor;
  private final ReconcileListener listener;
  private final Clock clock;
  private final Sleeper sleeper;
  private final RandomGenerator random;
  private final Duration pollInterval;
  private final Duration stabilisation;
  private final Supplier<Optional<String>> terminationNotice;
  private final double ssmReadsPerSecond;

  /** GetParameters calls per poll: ceil(services read from SSM / 10). Fixed with the services. */
  private final long ssmReadsPerPoll;

  /** The service whose target group tells the fleet's size until one is read; empty for workers. */
  private final Optional<ServiceSpec> behindGroup;

  /** Group reads (anyone's) seen by {@link #learnFleetSize}, so it does not repeat one at once. */
  private long groupReadsSeen;

  private final FleetSizeWatch fleet;
  private final ServingObserver serving;

  private final Map<String, Deploy> underWay = new LinkedHashMap<>();
  private final Map<String, Integer> faultsInRow = new HashMap<>();
  private final Map<String, Instant> retryAt = new HashMap<>();
  private final Map<String, String> reportedRejections = new HashMap<>();
  private final Map<String, String> reportedHolds = new HashMap<>();
  private final Map<String, Integer> failedProbes = new HashMap<>();

  /**
   * The service's container as this poll observed it, for each service the poll left as it was (in
   * sync or held): what {@link #serves} reads instead of asking the engine a second time.
   */
  private final Map<String, Optional<ContainerInfo>> observedThisPoll = new HashMap<>();

  /**
   * The deploy whose old images each service has collected: once per deploy, not every pass. An
   * image another container still uses (two services of one repository) would otherwise cost an
   * image and container listing, and a log line, on every pass for as long as it is used.
   */
  private final Map<String, Instant> imagesCollectedFor = new HashMap<>();

  private String terminating;

  /** Services the termination notice has yet to take out of their load balancer. */
  private final Set<String> toEvacuate = new LinkedHashSet<>();

  private final Set<String> evacuationFailed = new HashSet<>();
  private boolean started;

  /**
   * Services idle at the first tick, whose turn lease a crashed predecessor may have left: released
   * once, after the first poll has decided (a decision needs no lease, and the release's DynamoDB
   * call was a quarter of a second of the agent's start) and before any deploy seeks its turn: a
   * release after that would give back the deploy's own turn (this host's leases are released by
   * owner). Until then a stale lease only holds back peers, never this host.
   */
  private List<ServiceSpec> staleLeaseCheck = List.of();

  private boolean resumed;

  /** A failed read of the group's size is tried again no sooner than this (jittered). */
  static final Duration SIZE_READ_RETRY = Duration.ofMinutes(1);

  /**
   * Retried reads of the group's size the fleet may make a second: a fifth of ELBv2's Describe*
   * refill (10/s), which the deploys need. The size assumed meanwhile only slows the poll.
   */
  static final double SIZE_READS_PER_SECOND = 2;

  private Instant nextSizeRead;

  /** When the last poll ran (null before the first) and its jitter factor. */
  private Instant lastPollAt;

  private double pollJitter = 1;
  private Instant nextTerminationCheck;
  private Duration backoff;
  private PassResult lastPass = new PassResult(Map.of(), Map.of(), Map.of());
  private volatile Instant lastTick;
  private volatile Instant lastSuccessfulPoll;

  private ReconcileLoop(Builder b) {
    this.services = List.copyOf(b.services);
    this.sources = Map.copyOf(b.sources);
    this.runtime = b.runtime;
    this.healthChecks = b.healthChecks;
    this.states = b.states;
    this.listener = b.listener;
    this.clock = b.clock;
    this.sleeper = b.sleeper;
    this.random = b.random;
    this.pollInterval = b.pollInterval;
    this.stabilisation = b.stabilisation;
    this.terminationNotice = b.terminationNotice;
    this.janitor = new ImageJanitor(runtime, b.keepImages);
    this.fleet =
        new FleetSizeWatch(
            b.fleet,
            b.expectedHosts.orElse(
                b.services.stream().anyMatch(ServiceSpec::hasLoadBalancer)
                    ? b.defaultExpectedHosts
                    : 1));
    this.env =
        new StepEnv(
            runtime,
            b.registryAuth,
            b.secrets,
            b.traffic,
            fleet,
            b.turns,
            b.healthChecks,
            b.states,
            b.listener,
            b.clock,
            b.random,
            b.timing,
            b.instanceId,
            new TargetCalls(b.traffic, b.turns, b.instanceId, b.clock, b.random));
    this.presence =
        new HostPresence(
            runtime,
            b.traffic,
            fleet,
            b.turns,
            b.states,
            b.listener,
            b.clock,
            b.random,
            b.timing,
            b.instanceId);
    this.ssmReadsPerSecond = b.ssmReadsPerSecond;
    this.ssmReadsPerPoll =
        (services.stream().filter(s -> s.desired() instanceof DesiredSource.Ssm).count() + 9) / 10;
    this.behindGroup = services.stream().filter(ServiceSpec::hasLoadBalancer).findFirst();
    this.serving = b.serving;
    this.runner = new DeployRunner(env, presence);
    this.backoff = pollInterval;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The outcome of one poll: per service, whether it is in sync and what was done. */
  public record PassResult(
      Map<String, Action> actions, Map<String, Boolean> inSync, Map<String, String> errors) {
    /** True when every service ended the pass running its desired image, healthy. */
    public boolean allInSync() {
      return errors.isEmpty() && inSync.values().stream().allMatch(Boolean::booleanValue);
    }
  }

  /**
   * Does what is due now and says when to come back: never longer than the termination-notice
   * interval, so a host going away evacuates within seconds even while a deploy waits.
   */
  public Duration tick() {
    beat();
    startOnce();
    Instant now = clock.instant();
    checkTermination(now, false);
    if (resumeInterrupted()) {
      // A resumed deploy may seek a turn in the pool of an idle service: release first, as a
      // release after it would give back the resumed deploy's own turn.
      releaseStaleLeases();
      // Before the first poll: the host may have no container until the resumed step runs.
      advanceDue();
    }
    if (lastPollAt == null || !now.isBefore(nextPoll())) {
      poll();
    }
    releaseStaleLeases();
    learnFleetSize();
    // A stop-first deploy never waits for this poll between STOP and START (advanceDue).
    advanceDue();
    beat();
    return untilNextWork();
  }

  /**
   * One poll, and every deploy it starts driven to its end (the {@code once} command and tests):
   * the sleeper paces the deploy's polls.
   */
  public PassResult runOnce() throws InterruptedException {
    beat();
    startOnce();
    checkTermination(clock.instant(), true);
    poll();
    releaseStaleLeases();
    learnFleetSize();
    while (!underWay.isEmpty()) {
      advanceDue();
      if (!underWay.isEmpty()) {
        sleeper.sleep(untilNextStep());
      }
    }
    Map<String, Boolean> inSync = new LinkedHashMap<>(lastPass.inSync());
    lastPass
        .actions()
        .forEach(
            (service, action) -> {
              if (!action.inSync() && !lastPass.errors().containsKey(service)) {
                inSync.put(service, reachedDesired(service));
              }
            });
    presence.flush();
    beat();
    lastPass = new PassResult(lastPass.actions(), inSync, lastPass.errors());
    return lastPass;
  }

  /** Ticks until the thread is interrupted; the containers are left as they are. */
  public void run() {
    logger.info(
        "reconcile loop started for {} service(s), polling every {}s",
        services.size(),
        pollInterval.toSeconds());
    try {
      while (!Thread.currentThread().isInterrupted()) {
        Duration next;
        try {
          next = tick();
        } catch (RuntimeException e) {
          // Never a crash loop: whatever broke is logged and tried again at the next poll.
          logger.error("reconcile tick failed: {}", e.toString());
          next = pollInterval;
        }
        sleeper.sleep(next);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    logger.info("reconcile loop stopped; containers keep running");
  }

  /**
   * When the loop last showed it is alive (a tick started or ended, or a wait inside one began or
   * ended), for /healthz; null before the first tick.
   */
  public Instant lastTick() {
    return lastTick;
  }

  /** Marks the loop alive now; the composition root calls it around every wait. */
  public void beat() {
    lastTick = clock.instant();
  }

  /** When the desired state was last read without error; null before that. */
  public Instant lastSuccessfulPoll() {
    return lastSuccessfulPoll;
  }

  /** The result of the latest poll. */
  public PassResult lastPass() {
    return lastPass;
  }

  private void startOnce() {
    if (started) {
      return;
    }
    started = true;
    staleLeaseCheck =
        services.stream().filter(s -> states.get(s.name()).phase() == Phase.IDLE).toList();
  }

  private void releaseStaleLeases() {
    for (ServiceSpec s : staleLeaseCheck) {
      try {
        if (presence.releaseStaleLease(s)) {
          // Its intents went with it; a peer may still carry one for a few seconds.
          env.calls().withdrawnByRestart(s.name());
        }
      } catch (RuntimeException e) {
        logger.warn(
            "[service={}] could not release a stale turn lease: {}", s.name(), e.getMessage());
      }
    }
    staleLeaseCheck = List.of();
  }

  /**
   * Once, at the first tick: takes up the deploys a previous agent left mid-way (state saved in a
   * phase other than IDLE), before the first poll. The host may have no container (killed between
   * STOP and START), and a first poll can take seconds (the SDK's first calls, or throttling); a
   * resume does not depend on the desired state.
   *
   * @return whether a deploy is under way now
   */
  private boolean resumeInterrupted() {
    if (resumed || terminating != null) {
      return false;
    }
    resumed = true;
    for (ServiceSpec service : services) {
      if (underWay.containsKey(service.name())
          || states.get(service.name()).phase() == Phase.IDLE) {
        continue;
      }
      try {
        runner.resume(service, observe(service)).ifPresent(d -> underWay.put(service.name(), d));
      } catch (RuntimeException e) {
        // The poll's own Resume takes it up again.
        logger.warn(
            "[service={}] could not resume the interrupted deploy yet: {}",
            service.name(),
            e.getMessage());
      }
    }
    return !underWay.isEmpty();
  }

  private void checkTermination(Instant now, boolean force) {
    if (!force && nextTerminationCheck != null && now.isBefore(nextTerminationCheck)) {
      return;
    }
    if (terminating != null && toEvacuate.isEmpty()) {
      return;
    }
    nextTerminationCheck = now.plus(env.timing().terminationCheck());
    if (terminating == null) {
      Optional<String> notice = terminationNotice.get();
      if (notice.isEmpty()) {
        return;
      }
      terminating = notice.get();
      logger.warn(
          "instance is going away ({}): taking every service out of its load balancer; no more"
              + " deploys",
          terminating);
      underWay.values().forEach(runner::abandon);
      underWay.clear();
      services.forEach(s -> toEvacuate.add(s.name()));
    }
    evacuate();
    if (!toEvacuate.isEmpty()) {
      // Jittered: at a fixed period, a retry can lock into a phase where a peer's call always
      // takes the bucket's next token first. A simulated spot host lost all 120 of its tries so.
      nextTerminationCheck = now.plus(env.jittered(EVACUATION_RETRY));
    }
  }

  /**
   * How soon, on average, a deregistration that failed before termination is tried again. The
   * account's RegisterTargets and DeregisterTargets bucket is shared by the whole fleet and runs
   * saturated while a large fleet rolls out; tried every 5 s (the termination check), a spot host's
   * attempts all met an empty bucket for its two minutes in a 2,000-host simulation and it was
   * reclaimed still registered. A host goes away once, so trying every second costs the bucket
   * little.
   */
  static final Duration EVACUATION_RETRY = Duration.ofSeconds(1);

  /**
   * Deregisters every service still to evacuate. One that fails (ELBv2 throttled: the whole
   * account's deregistrations share one bucket) is tried again every {@link #EVACUATION_RETRY}, for
   * as long as the instance lives: a spot instance has two minutes, and left registered it drops
   * the requests in flight when it is reclaimed.
   */
  private void evacuate() {
    for (ServiceSpec service : services) {
      if (!toEvacuate.contains(service.name())) {
        continue;
      }
      try {
        presence.evacuate(service);
        toEvacuate.remove(service.name());
      } catch (RuntimeException e) {
        if (evacuationFailed.add(service.name())) {
          logger.warn(
              "[service={}] could not deregister before termination, trying again every {}s: {}",
              service.name(),
              EVACUATION_RETRY.toSeconds(),
              e.getMessage());
        }
      }
    }
  }

  /** Reads the desired state and decides for every service that has no deploy under way. */
  private void poll() {
    Map<String, DesiredState> desired = readDesired();
    lastPollAt = clock.instant();
    // +-20% so that a fleet started together does not poll SSM in lockstep.
    pollJitter = 0.8 + 0.4 * random.nextDouble();
    Map<String, Action> actions = new LinkedHashMap<>();
    Map<String, Boolean> inSync = new LinkedHashMap<>();
    Map<String, String> errors = new LinkedHashMap<>();
    observedThisPoll.clear();
    for (ServiceSpec service : services) {
      if (underWay.containsKey(service.name())) {
        inSync.put(service.name(), false);
        continue;
      }
      try {
        Action action = reconcile(service, desired.get(service.name()));
        actions.put(service.name(), action);
        inSync.put(service.name(), action.inSync());
        listener.passFinished(service.name(), action.inSync(), action);
      } catch (RuntimeException e) {
        errors.put(service.name(), String.valueOf(e.getMessage()));
        states.put(states.get(service.name()).withError(e.getMessage()));
        listener.passFailed(service.name(), e);
        logger.warn("[service={}] reconcile pass failed: {}", service.name(), e.getMessage());
      }
    }
    presence.flush();
    lastPass = new PassResult(actions, inSync, errors);
    // A deploy under way has a container coming or going: only a host with none counts as empty.
    serving.observe(
        !underWay.isEmpty() || services.stream().anyMatch(this::serves), clock.instant());
  }

  /** Whether the service's container runs and its health check has not been failing. */
  private boolean serves(ServiceSpec service) {
    // An in-sync pass already observed the container: a second inspect of the same container was
    // a third of an in-sync pass's CPU (issue 11). Asked again only where the poll acted or failed.
    Optional<ContainerInfo> c = observedThisPoll.get(service.name());
    if (c == null) {
      c = runtime.inspect(service.containerName());
    }
    return c.isPresent()
        && c.get().running()
        && !Reconciler.unhealthy(service, c.get(), failedProbes.getOrDefault(service.name(), 0));
  }

  private Action reconcile(ServiceSpec service, DesiredState desired) {
    ServiceState state = states.get(service.name());
    if (desired instanceof DesiredState.Pinned pinned
        && state.failed() != null
        && !state.failed().equals(pinned.image().digest())) {
      // The desired value moved on from the digest that failed: it may be tried again later.
      states.put(state.withFailed(null));
    }
    ObservedService observed = observe(service);
    Action action =
        terminating != null
            ? new Action.Hold("instance is terminating (" + terminating + ")")
            : Reconciler.decide(service, desired, observed);
    Instant now = clock.instant();
    Instant retry = retryAt.get(service.name());
    if ((action instanceof Action.Deploy || action instanceof Action.Restart)
        && retry != null
        && now.isBefore(retry)) {
      action =
          new Action.Hold(
              "last attempt failed on a fault; trying again in "
                  + Duration.between(now, retry).toSeconds()
                  + "s");
    }
    if (!(action instanceof Action.Hold)) {
      reportedHolds.remove(service.name());
    }
    listener.decided(service.name(), action);
    if (action instanceof Action.Deploy deploy) {
      failedProbes.remove(service.name());
      // start-first needs a serving container to start beside; without one it is stop-first.
      boolean serving = observed.current() != null && observed.current().running();
      DeployPath path =
          serving ? DeployPath.of(service.rollout().strategy()) : DeployPath.STOP_FIRST;
      underWay.put(
          service.name(),
          runner.begin(service, deploy.image(), path, deploy.reasons(), deploy.lastResort()));
    } else if (action instanceof Action.Restart restart) {
      failedProbes.remove(service.name());
      ImageRef image = observed.current() == null ? null : imageOf(observed.current());
      if (image == null) {
        image = state.lastKnownGood();
      }
      if (image != null) {
        underWay.put(
            service.name(),
            runner.begin(service, image, DeployPath.RESTART, restart.reasons(), false));
      }
    } else if (action instanceof Action.Resume) {
      runner.resume(service, observed).ifPresent(d -> underWay.put(service.name(), d));
    } else if (action instanceof Action.Hold hold) {
      // Said once per reason, not once per poll: a held service can stay held for days.
      String reason = hold.why().replaceAll("\\d+s$", "");
      if (!reason.equals(reportedHolds.put(service.name(), reason))) {
        logger.warn(
            "[service={}] holding, running container left as it is: {}",
            service.name(),
            hold.why());
      }
    } else if (action instanceof Action.InSync) {
      if (state.lastError() != null) {
        states.put(state.withError(null));
      }
      presence.ensureInService(service, observed);
      cleanUp(service, observed);
    }
    if (action instanceof Action.InSync || action instanceof Action.Hold) {
      // Nothing was started: what this pass observed is what runs.
      observedThisPoll.put(service.name(), Optional.ofNullable(observed.current()));
      presence.publish(service, observed.current());
    } else {
      presence.publish(service);
    }
    return action;
  }

  /** Runs the step of every deploy whose time has come, once each. */
  /**
   * Steps every due deploy once; a stop-first deploy that just stopped the old container goes on to
   * START at once, not after the poll: nothing serves until it has.
   */
  private void advanceDue() {
    Instant now = clock.instant();
    for (Deploy d : new ArrayList<>(underWay.values())) {
      if (d.wakeAt.isAfter(now)) {
        continue;
      }
      runner.step(d);
      if (d.end == null
          && d.phase == Phase.START
          && d.path == DeployPath.STOP_FIRST
          && !d.wakeAt.isAfter(clock.instant())) {
        runner.step(d);
      }
      if (d.end != null) {
        underWay.remove(d.service.name());
        afterDeploy(d);
      }
    }
  }

  private void afterDeploy(Deploy d) {
    String name = d.service.name();
    // A last-resort attempt that fails again is retried with backoff too, not on every poll.
    if (d.end == DeployTable.End.FAULT || (d.lastResort && d.end != DeployTable.End.SUCCESS)) {
      int faults = faultsInRow.merge(name, 1, Integer::sum);
      Duration pause = env.backoff(faults);
      retryAt.put(name, clock.instant().plus(pause));
      logger.info(
          "[service={}] {} fault(s) in a row; next attempt in about {}s",
          name,
          faults,
          pause.toSeconds());
    } else {
      faultsInRow.remove(name);
      retryAt.remove(name);
    }
  }

  private Duration untilNextWork() {
    Instant now = clock.instant();
    Instant next = nextPoll();
    if (nextTerminationCheck != null && nextTerminationCheck.isBefore(next)) {
      next = nextTerminationCheck;
    }
    for (Deploy d : underWay.values()) {
      if (d.wakeAt.isBefore(next)) {
        next = d.wakeAt;
      }
    }
    return next.isAfter(now) ? Duration.between(now, next) : Duration.ZERO;
  }

  private Duration untilNextStep() {
    Instant now = clock.instant();
    Instant next =
        underWay.values().stream().map(d -> d.wakeAt).min(Instant::compareTo).orElse(now);
    return next.isAfter(now) ? Duration.between(now, next) : Duration.ZERO;
  }

  /** After acting: does the service now run its desired image, idle and without drift? */
  private boolean reachedDesired(String serviceName) {
    ServiceSpec service =
        services.stream().filter(s -> s.name().equals(serviceName)).findFirst().orElseThrow();
    Action action = lastPass.actions().get(serviceName);
    if (!(action instanceof Action.Deploy)
        && !(action instanceof Action.Restart)
        && !(action instanceof Action.Resume)) {
      return false;
    }
    ObservedService now = observe(service);
    ImageRef wanted =
        action instanceof Action.Deploy deploy ? deploy.image() : now.state().lastKnownGood();
    return wanted != null
        && now.state().phase() == Phase.IDLE
        && !wanted.digest().equals(now.state().failed())
        && Reconciler.drift(service, wanted, now).isEmpty();
  }

  private ObservedService observe(ServiceSpec service) {
    // One engine call while nothing changed, instead of an inspect per name (issue 11).
    Map<String, ContainerInfo> found =
        runtime.inspectAll(
            List.of(
                service.containerName(),
                service.previousContainerName(),
                service.nextContainerName()));
    Optional<ContainerInfo> current = Optional.ofNullable(found.get(service.containerName()));
    ContainerInfo previous = found.get(service.previousContainerName());
    ContainerInfo next = found.get(service.nextContainerName());
    int failed = 0;
    if (current.isPresent()
        && current.get().running()
        && current.get().managed()
        && service.health().type() != HealthSpec.Type.DOCKER) {
      // Docker reports its own HEALTHCHECK; other types are probed once per poll.
      boolean healthy =
          healthChecks
              .forType(service.health().type())
              .probe(current.get(), service.containerAsPublished(current.get()), service.health())
              .healthy();
      failed = failedProbes.merge(service.name(), healthy ? 0 : 1, (a, b) -> b == 0 ? 0 : a + b);
    }
    ObservedService observed =
        new ObservedService(
            current.orElse(null), previous, next, states.get(service.name()), failed);
    listener.observed(service.name(), observed);
    return observed;
  }

  /** After the stabilisation time, drop the previous container and images no rollback needs. */
  private void cleanUp(ServiceSpec service, ObservedService observed) {
    ServiceState state = observed.state();
    if (state.phase() != Phase.IDLE) {
      return;
    }
    Instant deployedAt = state.lastDeployAt() == null ? Instant.EPOCH : state.lastDeployAt();
    if (!clock.instant().isAfter(deployedAt.plus(stabilisation))) {
      return;
    }
    if (observed.previous() != null) {
      logger.info(
          "[service={}] deploy stable for {}s, removing {}",
          service.name(),
          stabilisation.toSeconds(),
          service.previousContainerName());
      runtime.remove(service.previousContainerName());
    }
    ImageRef running = observed.current() == null ? null : imageOf(observed.current());
    if (running == null) {
      return;
    }
    if (deployedAt.equals(imagesCollectedFor.get(service.name()))) {
      return;
    }
    Set<ImageRef> keep = new HashSet<>();
    keep.add(running);
    if (state.lastKnownGood() != null) {
      keep.add(state.lastKnownGood());
    }
    janitor.collect(service.name(), running.repositoryName(), keep);
    imagesCollectedFor.put(service.name(), deployedAt);
  }

  private static ImageRef imageOf(ContainerInfo container) {
    String pinned = container.labels().get(dev.driftguard.model.Labels.IMAGE);
    try {
      return pinned == null ? null : ImageRef.parse(pinned);
    } catch (RuntimeException e) {
      return null;
    }
  }

  private Map<String, DesiredState> readDesired() {
    Map<Class<? extends DesiredSource>, List<ServiceSpec>> byKind = new HashMap<>();
    for (ServiceSpec s : services) {
      byKind.computeIfAbsent(s.desired().getClass(), k -> new ArrayList<>()).add(s);
    }
    Map<String, DesiredState> result = new HashMap<>();
    boolean throttled = false;
    boolean allRead = true;
    for (var entry : byKind.entrySet()) {
      DesiredStateSource source = sources.get(entry.getKey());
      Map<String, String> locationOf = new LinkedHashMap<>();
      entry.getValue().forEach(s -> locationOf.put(s.name(), location(s.desired())));
      try {
        Map<String, RawRecord> records =
            source.read(new ArrayList<>(new HashSet<>(locationOf.values())));
        for (ServiceSpec s : entry.getValue()) {
          RawRecord raw = records.get(locationOf.get(s.name()));
          DesiredState state =
              DesiredRecord.parse(
                  raw == null ? null : raw.value(),
                  raw == null ? 0 : raw.version(),
                  s.allowedRegistries());
          result.put(s.name(), state);
        }
      } catch (DesiredStateUnavailableException e) {
        allRead = false;
        throttled |= e.throttled();
        for (ServiceSpec s : entry.getValue()) {
          result.put(s.name(), new DesiredState.Unavailable(e.getMessage(), e.throttled()));
        }
        logger.warn(
            "desired state unavailable for {}: {} (running containers are left as they are)",
            entry.getValue().stream().map(ServiceSpec::name).toList(),
            e.getMessage());
      }
    }
    for (ServiceSpec s : services) {
      DesiredState state = result.get(s.name());
      listener.desiredRead(s.name(), state);
      if (state instanceof DesiredState.Rejected rejected) {
        reportRejectionOnce(s, rejected);
      } else {
        reportedRejections.remove(s.name());
      }
    }
    if (allRead) {
      lastSuccessfulPoll = clock.instant();
      backoff = pollInterval;
    } else {
      Duration doubled = backoff.multipliedBy(2);
      backoff = doubled.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : doubled;
      if (throttled) {
        logger.warn(
            "desired-state reads are throttled; next poll in about {}s", backoff.toSeconds());
      }
    }
    return result;
  }

  private void reportRejectionOnce(ServiceSpec service, DesiredState.Rejected rejected) {
    String previous = reportedRejections.put(service.name(), rejected.fingerprint());
    if (!rejected.fingerprint().equals(previous)) {
      listener.desiredRejected(service.name(), rejected);
      logger.warn(
          "[service={}, reason={}] desired state rejected, running container left untouched: {}",
          service.name(),
          rejected.reason().label(),
          rejected.message());
    }
  }

  private static String location(DesiredSource source) {
    if (source instanceof DesiredSource.Ssm ssm) {
      return ssm.parameterName();
    }
    return ((DesiredSource.File) source).path().toString();
  }

  /**
   * Reads a target group once to learn how many hosts share the desired-state budget, while no read
   * has told this host yet, and again later while that read fails: a minute, or for a large fleet
   * assumed its share of {@link #SIZE_READS_PER_SECOND} (jittered). Not left to the registration
   * check: that runs inside a poll, and a host that assumed 2,000 hosts polls every 100 s, so a
   * host that joined with nothing running (and deployed without a gate read) could wait that long
   * for a pin on a fleet of four.
   */
  private void learnFleetSize() {
    if (behindGroup.isEmpty() || fleet.anyGroupRead()) {
      return;
    }
    Instant now = clock.instant();
    boolean readElsewhere = fleet.readsTried() != groupReadsSeen;
    if (!readElsewhere && nextSizeRead != null && now.isBefore(nextSizeRead)) {
      return;
    }
    // Spread over the fleet assumed: at 2,000 hosts a retry each minute was 4,500 throttled
    // reads of the account's Describe* bucket at a rollout's start, for a size already assumed.
    long retry =
        Math.max(
            SIZE_READ_RETRY.toMillis(), (long) (fleet.budgetSize() * 1000 / SIZE_READS_PER_SECOND));
    nextSizeRead = now.plusMillis((long) (retry * (0.5 + random.nextDouble())));
    if (!readElsewhere) {
      // (A read another part made since, the registration check at start most often, failed
      // too: the minute is counted from it instead of adding a second read now.)
      try {
        fleet.targets(behindGroup.get());
      } catch (RuntimeException e) {
        logger.debug("could not read the target group's size yet: {}", e.getMessage());
      }
    }
    groupReadsSeen = fleet.readsTried();
  }

  /**
   * When the next poll is due: evaluated afresh each time, so a fleet size learned after the last
   * poll (the first read of the target group, often in the same pass) applies to the wait already
   * under way.
   */
  private Instant nextPoll() {
    Duration interval = budgeted(backoff);
    return lastPollAt.plusMillis(Math.max(1, (long) (interval.toMillis() * pollJitter)));
  }

  /**
   * The poll interval stretched so that the whole fleet stays inside the account's desired-state
   * budget (DESIGN 4): every host reads {@code ceil(services / 10)} times per poll (GetParameters
   * takes 10 names; services whose desired state is a file cost nothing), so the interval is at
   * least hosts x reads / budget. The fleet's size is the largest target group this host has read
   * ({@link FleetSizeWatch}); until one answers, and for workers, which have no group to read, it
   * is {@code fleet.expectedHosts}: a host that knew nothing polled as a fleet of one, and at 2,000
   * hosts those kept Parameter Store throttled for everyone.
   */
  Duration budgeted(Duration interval) {
    if (ssmReadsPerPoll == 0) {
      return interval;
    }
    int hosts = fleet.budgetSize();
    double seconds = hosts * (double) ssmReadsPerPoll / ssmReadsPerSecond;
    Duration floor = Duration.ofMillis((long) Math.ceil(seconds * 1000));
    return floor.compareTo(interval) > 0 ? floor : interval;
  }

  /** Everything a loop is made of; the composition root (or a test, or the simulator) fills it. */
  public static final class Builder {
    private List<ServiceSpec> services = List.of();
    private Map<Class<? extends DesiredSource>, DesiredStateSource> sources = Map.of();
    private ContainerRuntime runtime;
    private RegistryAuth registryAuth;
    private SecretSource secrets;
    private TrafficGate traffic;
    private FleetCoordinator fleet;
    private TurnLease turns;
    private String instanceId;
    private HealthCheck.Factory healthChecks;
    private StateBook states;
    private ReconcileListener listener = new ReconcileListener() {};
    private Clock clock = Clock.systemUTC();
    private Sleeper sleeper = Sleeper.system();
    private RandomGenerator random;
    private DeployTiming timing = DeployTiming.defaults();
    private Duration pollInterval = Duration.ofSeconds(15);
    private Duration stabilisation = Duration.ofMinutes(1);
    private int keepImages = 1;
    private Supplier<Optional<String>> terminationNotice = Optional::empty;
    private double ssmReadsPerSecond = 20;
    private OptionalInt expectedHosts = OptionalInt.empty();
    private int defaultExpectedHosts = 1;
    private ServingObserver serving = ServingObserver.NONE;

    /** Told after every poll whether the host serves anything (the ASG self-report). */
    public Builder serving(ServingObserver serving) {
      this.serving = java.util.Objects.requireNonNull(serving, "serving");
      return this;
    }

    private Builder() {}

    /**
     * The share of the account's Parameter Store throughput (GetParameter, GetParameters and
     * PutParameter share 40 TPS by default) this fleet's polls may use together.
     */
    public Builder ssmReadsPerSecond(double ssmReadsPerSecond) {
      if (!(ssmReadsPerSecond > 0)) {
        throw new IllegalArgumentException("ssmReadsPerSecond must be more than 0");
      }
      this.ssmReadsPerSecond = ssmReadsPerSecond;
      return this;
    }

    /**
     * How many hosts share the desired-state budget until this host has read its target group (and
     * always, for a host whose services have none): {@code fleet.expectedHosts} as written. Not
     * written, a host with a target group assumes {@code whenNotWritten} until it reads it, and a
     * worker does not spread its poll (it has no group to learn the size from).
     */
    public Builder expectedHosts(OptionalInt expectedHosts, int whenNotWritten) {
      if (expectedHosts.isPresent() && expectedHosts.getAsInt() < 1 || whenNotWritten < 1) {
        throw new IllegalArgumentException("expected hosts must be at least 1");
      }
      this.expectedHosts = expectedHosts;
      this.defaultExpectedHosts = whenNotWritten;
      return this;
    }

    public Builder services(List<ServiceSpec> services) {
      this.services = services;
      return this;
    }

    /** The source for each kind of {@link DesiredSource} the services use. */
    public Builder sources(Map<Class<? extends DesiredSource>, DesiredStateSource> sources) {
      this.sources = sources;
      return this;
    }

    public Builder runtime(ContainerRuntime runtime) {
      this.runtime = runtime;
      return this;
    }

    public Builder registryAuth(RegistryAuth registryAuth) {
      this.registryAuth = registryAuth;
      return this;
    }

    public Builder secrets(SecretSource secrets) {
      this.secrets = secrets;
      return this;
    }

    /**
     * The load balancer gate; only services with {@code traffic:} reach it (null when none has).
     */
    public Builder traffic(TrafficGate traffic) {
      this.traffic = traffic;
      return this;
    }

    public Builder fleet(FleetCoordinator fleet) {
      this.fleet = fleet;
      return this;
    }

    /** Where hosts take turns to leave service (and elect a rollout's one-time runner). */
    public Builder turns(TurnLease turns) {
      this.turns = turns;
      return this;
    }

    /** This host, as the fleet knows it: the owner of its turn leases. */
    public Builder instanceId(String instanceId) {
      this.instanceId = instanceId;
      return this;
    }

    public Builder healthChecks(HealthCheck.Factory healthChecks) {
      this.healthChecks = healthChecks;
      return this;
    }

    public Builder states(StateBook states) {
      this.states = states;
      return this;
    }

    public Builder listener(ReconcileListener listener) {
      this.listener = listener;
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    /** Paces {@link #run} and {@link #runOnce}; never called inside a tick. */
    public Builder sleeper(Sleeper sleeper) {
      this.sleeper = sleeper;
      return this;
    }

    public Builder random(RandomGenerator random) {
      this.random = random;
      return this;
    }

    public Builder timing(DeployTiming timing) {
      this.timing = timing;
      return this;
    }

    public Builder pollInterval(Duration pollInterval) {
      this.pollInterval = pollInterval;
      return this;
    }

    /** How long a committed deploy's previous container is kept. */
    public Builder stabilisation(Duration stabilisation) {
      this.stabilisation = stabilisation;
      return this;
    }

    /** Older images kept per service beside those a rollback needs. */
    public Builder keepImages(int keepImages) {
      this.keepImages = keepImages;
      return this;
    }

    /** Why the instance is going away (spot interruption, Auto Scaling), if it is. */
    public Builder terminationNotice(Supplier<Optional<String>> terminationNotice) {
      this.terminationNotice = terminationNotice;
      return this;
    }

    public ReconcileLoop build() {
      java.util.Objects.requireNonNull(runtime, "runtime");
      java.util.Objects.requireNonNull(registryAuth, "registryAuth");
      java.util.Objects.requireNonNull(secrets, "secrets");
      java.util.Objects.requireNonNull(fleet, "fleet");
      java.util.Objects.requireNonNull(turns, "turns");
      java.util.Objects.requireNonNull(instanceId, "instanceId");
      java.util.Objects.requireNonNull(healthChecks, "healthChecks");
      java.util.Objects.requireNonNull(states, "states");
      java.util.Objects.requireNonNull(random, "random");
      return new ReconcileLoop(this);
    }
  }
}
