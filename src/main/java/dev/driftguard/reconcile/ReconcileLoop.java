package dev.driftguard.reconcile;

import dev.driftguard.desired.DesiredStateSource;
import dev.driftguard.desired.DesiredStateSource.RawRecord;
import dev.driftguard.desired.DesiredStateUnavailableException;
import dev.driftguard.health.HealthCheck;
import dev.driftguard.model.ContainerInfo;
import dev.driftguard.model.DesiredRecord;
import dev.driftguard.model.DesiredSource;
import dev.driftguard.model.DesiredState;
import dev.driftguard.model.HealthSpec;
import dev.driftguard.model.ImageRef;
import dev.driftguard.model.ObservedService;
import dev.driftguard.model.Phase;
import dev.driftguard.model.ServiceSpec;
import dev.driftguard.model.ServiceState;
import dev.driftguard.runtime.ContainerRuntime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's loop: every poll interval, read the desired state of every service in one batch,
 * observe each service, {@link Reconciler#decide decide}, and act. A failure in one service is
 * logged once for the pass and never stops the others.
 */
public final class ReconcileLoop {
  private static final Logger logger = LoggerFactory.getLogger(ReconcileLoop.class);
  /** Longest wait between passes while the desired-state backend throttles or is down. */
  static final Duration MAX_BACKOFF = Duration.ofMinutes(5);

  private final List<ServiceSpec> services;
  private final Map<Class<? extends DesiredSource>, DesiredStateSource> sources;
  private final ContainerRuntime runtime;
  private final HealthCheck.Factory healthChecks;
  private final Deployer deployer;
  private final StateBook states;
  private final ImageJanitor janitor;
  private final ReconcileListener listener;
  private final Clock clock;
  private final Sleeper sleeper;
  private final RandomGenerator random;
  private final Duration pollInterval;
  private final Duration stabilisation;

  private final Map<String, String> reportedRejections = new ConcurrentHashMap<>();
  private final Map<String, String> reportedHolds = new ConcurrentHashMap<>();
  private final Map<String, Integer> failedProbes = new ConcurrentHashMap<>();
  private final java.util.function.Supplier<Optional<String>> terminationNotice;
  private volatile String terminating;
  private boolean started;
  private volatile Instant lastTick;
  private volatile Instant lastSuccessfulPoll;
  private Duration backoff;

  /**
   * @param sources the source for each kind of {@link DesiredSource} the services use
   * @param stabilisation how long a committed deploy's previous container is kept
   * @param keepImages older images kept per service beside those a rollback needs
   */
  public ReconcileLoop(
      List<ServiceSpec> services,
      Map<Class<? extends DesiredSource>, DesiredStateSource> sources,
      ContainerRuntime runtime,
      HealthCheck.Factory healthChecks,
      Deployer deployer,
      StateBook states,
      ReconcileListener listener,
      Clock clock,
      Sleeper sleeper,
      RandomGenerator random,
      Duration pollInterval,
      Duration stabilisation,
      int keepImages,
      java.util.function.Supplier<Optional<String>> terminationNotice) {
    this.terminationNotice = terminationNotice;
    this.services = List.copyOf(services);
    this.sources = Map.copyOf(sources);
    this.runtime = runtime;
    this.healthChecks = healthChecks;
    this.deployer = deployer;
    this.states = states;
    this.janitor = new ImageJanitor(runtime, keepImages);
    this.listener = listener;
    this.clock = clock;
    this.sleeper = sleeper;
    this.random = random;
    this.pollInterval = pollInterval;
    this.stabilisation = stabilisation;
    this.backoff = pollInterval;
  }

  /** The outcome of one pass: per service, whether it is in sync and what was done. */
  public record PassResult(Map<String, Action> actions, Map<String, Boolean> inSync, Map<String, String> errors) {
    /** True when every service ended the pass running its desired image, healthy. */
    public boolean allInSync() {
      return errors.isEmpty() && inSync.values().stream().allMatch(Boolean::booleanValue);
    }
  }

  /** One reconcile pass over every service. */
  public PassResult runOnce() throws InterruptedException {
    beat();
    if (!started) {
      started = true;
      services.forEach(s -> {
        if (states.get(s.name()).phase() == Phase.IDLE) {
          deployer.releaseStaleClaim(s);
        }
      });
    }
    if (terminating == null) {
      Optional<String> notice = terminationNotice.get();
      if (notice.isPresent()) {
        terminating = notice.get();
        logger.warn("instance is going away ({}): taking every service out of its load balancer; no more deploys", terminating);
        for (ServiceSpec service : services) {
          try {
            deployer.evacuate(service);
          } catch (RuntimeException e) {
            logger.warn("[service={}] could not deregister before termination: {}", service.name(), e.getMessage());
          }
        }
      }
    }
    Map<String, DesiredState> desired = readDesired();
    Map<String, Action> actions = new LinkedHashMap<>();
    Map<String, Boolean> inSync = new LinkedHashMap<>();
    Map<String, String> errors = new LinkedHashMap<>();
    for (ServiceSpec service : services) {
      try {
        DesiredState wanted = desired.get(service.name());
        Action action = reconcile(service, wanted);
        actions.put(service.name(), action);
        boolean synced = action.inSync() || reachedDesired(service, wanted);
        inSync.put(service.name(), synced);
        listener.passFinished(service.name(), synced, action);
      } catch (RuntimeException e) {
        errors.put(service.name(), String.valueOf(e.getMessage()));
        states.put(states.get(service.name()).withError(e.getMessage()));
        listener.passFailed(service.name(), e);
        logger.warn("[service={}] reconcile pass failed: {}", service.name(), e.getMessage());
      }
    }
    deployer.flushPublished();
    lastTick = clock.instant();
    return new PassResult(actions, inSync, errors);
  }

  /** After acting: does the service now run its desired image, idle and without drift? */
  private boolean reachedDesired(ServiceSpec service, DesiredState desired) {
    if (!(desired instanceof DesiredState.Pinned pinned)) {
      return false;
    }
    ObservedService now = observe(service);
    return now.state().phase() == Phase.IDLE
        && !pinned.image().digest().equals(now.state().failed())
        && Reconciler.drift(service, pinned.image(), now).isEmpty();
  }

  /** Runs passes until the thread is interrupted; the containers are left as they are. */
  public void run() {
    logger.info("reconcile loop started for {} service(s), polling every {}s", services.size(), pollInterval.toSeconds());
    try {
      while (!Thread.currentThread().isInterrupted()) {
        runOnce();
        sleeper.sleep(jittered(backoff));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    logger.info("reconcile loop stopped; containers keep running");
  }

  /**
   * When the loop last showed it is alive (a pass started or ended, or a wait inside one began
   * or ended), for /healthz; null before the first pass. A long deploy is not a hung loop.
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

  private Action reconcile(ServiceSpec service, DesiredState desired) throws InterruptedException {
    ServiceState state = states.get(service.name());
    if (desired instanceof DesiredState.Pinned pinned
        && state.failed() != null
        && !state.failed().equals(pinned.image().digest())) {
      // The desired value moved on from the digest that failed: it may be tried again later.
      states.put(state.withFailed(null));
    }
    ObservedService observed = observe(service);
    Action action = terminating != null
        ? new Action.Hold("instance is terminating (" + terminating + ")")
        : Reconciler.decide(service, desired, observed);
    if (!(action instanceof Action.Hold)) {
      reportedHolds.remove(service.name());
    }
    if (action instanceof Action.Deploy deploy) {
      failedProbes.remove(service.name());
      deployer.deploy(service, deploy.image(), deploy.reasons());
    } else if (action instanceof Action.Restart restart) {
      failedProbes.remove(service.name());
      deployer.restart(service, restart.reasons());
    } else if (action instanceof Action.Resume) {
      deployer.resume(service, observed);
    } else if (action instanceof Action.Hold hold) {
      // Said once per reason, not once per poll: a held service can stay held for days.
      if (!hold.why().equals(reportedHolds.put(service.name(), hold.why()))) {
        logger.warn("[service={}] holding, running container left as it is: {}", service.name(), hold.why());
      }
    } else if (action instanceof Action.InSync) {
      if (state.lastError() != null) {
        states.put(state.withError(null));
      }
      deployer.ensureInService(service, observed);
      cleanUp(service, observed);
    }
    deployer.publish(service);
    return action;
  }

  private ObservedService observe(ServiceSpec service) {
    Optional<ContainerInfo> current = runtime.inspect(service.containerName());
    ContainerInfo previous = runtime.inspect(service.previousContainerName()).orElse(null);
    ContainerInfo next = runtime.inspect(service.nextContainerName()).orElse(null);
    int failed = 0;
    if (current.isPresent() && current.get().running() && current.get().managed()
        && service.health().type() != HealthSpec.Type.DOCKER) {
      // Docker reports its own HEALTHCHECK; other types are probed once per pass.
      boolean healthy = healthChecks.forType(service.health().type())
          .probe(current.get(), service.containerAsPublished(current.get()), service.health()).healthy();
      failed = failedProbes.merge(service.name(), healthy ? 0 : 1, (a, b) -> b == 0 ? 0 : a + b);
    }
    ObservedService observed = new ObservedService(current.orElse(null), previous, next, states.get(service.name()), failed);
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
      logger.info("[service={}] deploy stable for {}s, removing {}", service.name(), stabilisation.toSeconds(), service.previousContainerName());
      runtime.remove(service.previousContainerName());
    }
    ImageRef running = observed.current() == null ? null : imageOf(observed.current());
    if (running == null) {
      return;
    }
    Set<ImageRef> keep = new HashSet<>();
    keep.add(running);
    if (state.lastKnownGood() != null) {
      keep.add(state.lastKnownGood());
    }
    janitor.collect(service.name(), running.repositoryName(), keep);
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
        Map<String, RawRecord> records = source.read(new ArrayList<>(new HashSet<>(locationOf.values())));
        for (ServiceSpec s : entry.getValue()) {
          RawRecord raw = records.get(locationOf.get(s.name()));
          DesiredState state = DesiredRecord.parse(raw == null ? null : raw.value(), raw == null ? 0 : raw.version(), s.allowedRegistries());
          result.put(s.name(), state);
        }
      } catch (DesiredStateUnavailableException e) {
        allRead = false;
        throttled |= e.throttled();
        for (ServiceSpec s : entry.getValue()) {
          result.put(s.name(), new DesiredState.Unavailable(e.getMessage(), e.throttled()));
        }
        logger.warn("desired state unavailable for {}: {} (running containers are left as they are)",
            entry.getValue().stream().map(ServiceSpec::name).toList(), e.getMessage());
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
        logger.warn("desired-state reads are throttled; next poll in about {}s", backoff.toSeconds());
      }
    }
    return result;
  }

  private void reportRejectionOnce(ServiceSpec service, DesiredState.Rejected rejected) {
    String previous = reportedRejections.put(service.name(), rejected.fingerprint());
    if (!rejected.fingerprint().equals(previous)) {
      listener.desiredRejected(service.name(), rejected);
      logger.warn("[service={}, reason={}] desired state rejected, running container left untouched: {}",
          service.name(), rejected.reason().label(), rejected.message());
    }
  }

  private static String location(DesiredSource source) {
    if (source instanceof DesiredSource.Ssm ssm) {
      return ssm.parameterName();
    }
    return ((DesiredSource.File) source).path().toString();
  }

  private Duration jittered(Duration base) {
    // +-20% so that a fleet started together does not poll SSM in lockstep.
    double factor = 0.8 + 0.4 * random.nextDouble();
    return Duration.ofMillis(Math.max(1, (long) (base.toMillis() * factor)));
  }
}
