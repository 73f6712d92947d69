package dev.driftguard.sim;

import dev.driftguard.health.HealthCheck;
import dev.driftguard.model.ContainerInfo;
import dev.driftguard.model.ContainerSpec;
import dev.driftguard.model.DesiredSource;
import dev.driftguard.model.Digest;
import dev.driftguard.model.HealthSpec;
import dev.driftguard.model.ImageRef;
import dev.driftguard.model.PortBinding;
import dev.driftguard.model.RolloutSpec;
import dev.driftguard.model.RunSpec;
import dev.driftguard.model.ServiceSpec;
import dev.driftguard.model.TargetGroupArn;
import dev.driftguard.model.TrafficSpec;
import dev.driftguard.reconcile.CapacityFloor;
import dev.driftguard.testing.InMemoryStateStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Runs one scenario: a fleet of simulated hosts, each with its agent ({@link SimHost}) on the
 * simulated AWS account ({@link SimAws}) and engine ({@link SimDocker}), in virtual time. A digest
 * is pinned, the ASG and the spot market do what the scenario says, and an invariant checker
 * watches the load balancer's truth. The result ({@link SimResult}) feeds the report.
 */
public final class FleetSim {
  static final String TABLE = "driftguard-leases";
  static final String SERVICE = "web";
  static final String PARAMETER = "/driftguard/web/image";
  static final String ARN =
      "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef";
  static final int PORT = 18080;
  private static final String REGISTRY = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
  private static final long SAMPLE_MILLIS = 1_000;

  /** A dead host's target fails its checks until the ASG terminates it. */
  private static final long TERMINATE_AFTER_MILLIS = 60_000;

  /** A spot instance is reclaimed this long after its notice. */
  private static final long SPOT_NOTICE_MILLIS = 120_000;

  /** The ASG's replacement or new host joins after booting. */
  private static final long BOOT_MILLIS = 45_000;

  final Scenario scenario;
  final long seed;
  final Scheduler scheduler = new Scheduler();
  final SplittableRandom random;
  final SimAws aws;
  final SimTargetGroup group;
  final ServiceSpec service;
  final ImageRef oldImage;
  final ImageRef newImage;
  private final Map<String, SimDocker.Behaviour> registry = new HashMap<>();
  private final SimHost.Factory agents;
  private final SimSsmClient ssm;
  private final SimElbv2Client elbv2;
  private final SimEc2Client ec2;
  private final SimDynamoDbClient dynamodb;
  final Map<String, SimHost.Node> nodes = new LinkedHashMap<>();
  private final Map<String, Boolean> countedOut = new HashMap<>();
  private final Map<String, Boolean> countedAgent = new HashMap<>();
  private int outByAgents;
  private int outOther;
  private int members;
  private int allowedAtPin;
  final SimResult result;
  final Set<String> startedBad = new HashSet<>();
  private int nextInstance = 1;
  private boolean finished;
  private int runOnceRunning;

  /** One host's outcome sink: counts deploys, and checks the one-time task runs once. */
  private SimHost.Outcomes outcomes(SimHost.Node node) {
    return new SimHost.Outcomes() {
      @Override
      public void deploy(String outcome, boolean throttled) {
        result.outcomes.merge(outcome, 1, Integer::sum);
        if (throttled && !outcome.equals("success")) {
          result.throttledFailures++;
        }
      }

      @Override
      public void runOnce(boolean started, boolean succeeded) {
        if (started) {
          if (node.runningOnce) {
            return;
          }
          node.runningOnce = true;
          runOnceRunning++;
          result.runOnceConcurrentMax = Math.max(result.runOnceConcurrentMax, runOnceRunning);
          if (runOnceRunning > 1) {
            result.violation(
                scheduler.now(), runOnceRunning + " hosts run the one-time task at once");
          }
          return;
        }
        if (node.runningOnce) {
          node.runningOnce = false;
          runOnceRunning--;
        }
        if (succeeded) {
          result.runOnceCompleted++;
          if (result.runOnceCompleted > 1) {
            result.violation(scheduler.now(), "the one-time task completed more than once");
          }
        }
      }
    };
  }

  /** A host that dies mid-task stops running it. */
  private void stopRunningOnce(SimHost.Node node) {
    if (node.runningOnce) {
      node.runningOnce = false;
      runOnceRunning--;
    }
  }

  public FleetSim(Scenario scenario, long seed, SimHost.Factory agents) {
    this(scenario, seed, agents, SimAws.defaultLimits());
  }

  /** A run against {@code limits} instead of AWS's default ones. */
  public FleetSim(Scenario scenario, long seed, SimHost.Factory agents, List<ApiLimit> limits) {
    this.scenario = scenario;
    this.seed = seed;
    this.random = new SplittableRandom(seed);
    this.agents = agents;
    this.aws = new SimAws(scheduler, random.split(), scenario.lagMillis(), limits);
    this.aws.dynamo.createTable(TABLE, "pool", "S", "slot", "N");
    this.ssm = new SimSsmClient(aws);
    this.elbv2 = new SimElbv2Client(aws);
    this.ec2 = new SimEc2Client(aws);
    this.dynamodb = new SimDynamoDbClient(aws);
    this.group =
        aws.createTargetGroup(
            ARN,
            scenario.healthCheckInterval().toMillis(),
            scenario.healthyThreshold(),
            scenario.unhealthyThreshold(),
            scenario.deregistrationDelay().toMillis(),
            this::probe,
            this::targetChanged);
    this.service = service(scenario);
    this.oldImage = image('1');
    this.newImage = image(scenario.badDigest() ? 'b' : '2');
    registry.put(oldImage.pinned(), SimDocker.Behaviour.GOOD);
    registry.put(
        newImage.pinned(),
        scenario.badDigest() ? SimDocker.Behaviour.UNHEALTHY : SimDocker.Behaviour.GOOD);
    this.result = new SimResult(scenario, seed);
  }

  private static ImageRef image(char c) {
    return new ImageRef(
        REGISTRY, "web", null, Digest.parse("sha256:" + String.valueOf(c).repeat(64)));
  }

  /** The service every host runs: behind the group, stop-first, maxUnavailable a percentage. */
  static ServiceSpec service(Scenario s) {
    return new ServiceSpec(
        SERVICE,
        new DesiredSource.Ssm(PARAMETER),
        Set.of(REGISTRY),
        new ContainerSpec(
            List.of(PortBinding.parse(PORT + ":8080")),
            Map.of(),
            Map.of(),
            List.of(),
            List.of(),
            "SIGTERM",
            Duration.ofSeconds(10),
            0),
        new HealthSpec(
            HealthSpec.Type.HTTP,
            8080,
            "/healthz",
            Duration.ofSeconds(2),
            Duration.ofSeconds(1),
            2,
            Duration.ofSeconds(60)),
        new TrafficSpec(
            TargetGroupArn.parse(ARN), PORT, null, Duration.ofMinutes(5), Duration.ofMinutes(5)),
        new RolloutSpec(RolloutSpec.Strategy.STOP_FIRST, s.maxUnavailablePercent(), true, true, 0),
        null);
  }

  /** Runs the scenario to its end and returns what happened. */
  public SimResult run() {
    long wallStart = System.nanoTime();
    long cpuStart =
        java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
    aws.seedParameter(PARAMETER, oldImage.pinned());
    for (int i = 0; i < scenario.hosts(); i++) {
      launch(true);
    }
    members = scenario.hosts();
    allowedAtPin = CapacityFloor.allowedOut(scenario.hosts(), service.rollout());
    result.allowed = allowedAtPin;
    long pinAt = scenario.pinAt().toMillis();
    result.pinAt = pinAt;
    scheduler.at(pinAt, () -> aws.pin(PARAMETER, newImage.pinned()));
    scheduleEvents(pinAt);
    scheduler.at(0, this::sample);
    scheduler.runUntil(pinAt + scenario.limit().toMillis());
    finish();
    result.wallMillis = (System.nanoTime() - wallStart) / 1_000_000;
    result.cpuMillis =
        (java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime()
                - cpuStart)
            / 1_000_000;
    result.events = scheduler.events();
    return result;
  }

  // ---- hosts ---------------------------------------------------------------------------------

  private SimHost.Node launch(boolean seeded) {
    String id = String.format(Locale.ROOT, "i-%017x", 0x100000L + nextInstance++);
    long skew =
        scenario.skewMillis() == 0
            ? 0
            : random.nextLong(-scenario.skewMillis(), scenario.skewMillis() + 1);
    SimHost.Node node = new SimHost.Node(id, skew, scheduler);
    node.launchedAt = scheduler.now();
    node.docker =
        new SimDocker(node, scheduler, random.split(), SimDocker.Timing.defaults(), registry);
    node.state = new InMemoryStateStore();
    nodes.put(id, node);
    countedOut.put(id, false);
    countedAgent.put(id, false);
    if (seeded) {
      node.docker.seed(service.containerName(), RunSpec.render(service, oldImage, Map.of()));
      node.joined = true;
      group.seedHealthy(id, PORT);
    }
    startAgent(node);
    long first = scheduler.now() + random.nextLong(scenario.pollInterval().toMillis());
    scheduleTick(node, node.agentGeneration, first);
    return node;
  }

  private void startAgent(SimHost.Node node) {
    node.agentGeneration++;
    HealthCheck.Factory checks = type -> new SimHealthCheck(node.docker);
    node.agent =
        agents.create(
            new SimHost.Wiring(
                node.instanceId,
                node.clock,
                random.split(),
                ssm,
                elbv2,
                ec2,
                dynamodb,
                new StartWatch(node),
                checks,
                node.state,
                List.of(service),
                scenario.pollInterval(),
                TABLE,
                scenario.maxClockSkew(),
                scenario.hosts(),
                scenario.deregistrationDelay(),
                () -> Optional.ofNullable(node.terminationNotice),
                outcomes(node)));
  }

  private void scheduleTick(SimHost.Node node, long generation, long at) {
    scheduler.at(
        at,
        () -> {
          if (!node.alive || node.agentGeneration != generation) {
            return;
          }
          Duration delay;
          try {
            delay = node.agent.tick();
          } catch (RuntimeException e) {
            node.tickErrors++;
            result.tickErrors++;
            if (result.firstTickError == null) {
              result.firstTickError = node.instanceId + ": " + e;
            }
            delay = Duration.ofSeconds(5);
          }
          long next = Math.max(scheduler.now() + Math.max(1, delay.toMillis()), node.busyUntil);
          scheduleTick(node, generation, next);
        });
  }

  // ---- events during the rollout -------------------------------------------------------------

  private void scheduleEvents(long pinAt) {
    List<SimHost.Node> initial = new ArrayList<>(nodes.values());
    int scaleOut = (int) Math.round(scenario.hosts() * scenario.scaleOut());
    for (int i = 0; i < scaleOut; i++) {
      scheduler.at(pinAt + 20_000 + random.nextLong(120_000), () -> launch(false));
    }
    List<SimHost.Node> shuffled = shuffled(initial);
    int at = 0;
    int deaths = (int) Math.round(scenario.hosts() * scenario.deaths());
    for (int i = 0; i < deaths && at < shuffled.size(); i++) {
      SimHost.Node n = shuffled.get(at++);
      scheduler.at(pinAt + random.nextLong(300_000), () -> die(n));
    }
    int spots = (int) Math.round(scenario.hosts() * scenario.spotNotices());
    for (int i = 0; i < spots && at < shuffled.size(); i++) {
      SimHost.Node n = shuffled.get(at++);
      scheduler.at(pinAt + random.nextLong(300_000), () -> spotNotice(n));
    }
    int restarts = (int) Math.round(scenario.hosts() * scenario.agentRestarts());
    for (int i = 0; i < restarts && at < shuffled.size(); i++) {
      SimHost.Node n = shuffled.get(at++);
      scheduler.at(pinAt + random.nextLong(300_000), () -> restartAgent(n));
    }
  }

  private List<SimHost.Node> shuffled(List<SimHost.Node> list) {
    List<SimHost.Node> copy = new ArrayList<>(list);
    for (int i = copy.size() - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      SimHost.Node t = copy.get(i);
      copy.set(i, copy.get(j));
      copy.set(j, t);
    }
    return copy;
  }

  private void die(SimHost.Node node) {
    if (!node.alive) {
      return;
    }
    node.alive = false;
    result.died++;
    stopRunningOnce(node);
    recount(node);
    scheduler.at(scheduler.now() + TERMINATE_AFTER_MILLIS, () -> terminate(node, true));
  }

  private void spotNotice(SimHost.Node node) {
    if (!node.alive) {
      return;
    }
    node.terminationNotice = "spot interruption";
    node.evacuating = true;
    result.spotNotices++;
    recount(node);
    scheduler.at(
        scheduler.now() + SPOT_NOTICE_MILLIS,
        () -> {
          if (group.targetOf(node.instanceId) != null
              && group.targetOf(node.instanceId).health == SimTargetGroup.Health.HEALTHY) {
            result.violation(
                scheduler.now(),
                node.instanceId + " was still in service when its spot instance was reclaimed");
          }
          node.alive = false;
          stopRunningOnce(node);
          terminate(node, true);
        });
  }

  private void restartAgent(SimHost.Node node) {
    if (!node.alive) {
      return;
    }
    result.agentRestarts++;
    startAgent(node);
    scheduleTick(node, node.agentGeneration, scheduler.now() + 5_000);
  }

  /** The ASG terminates the instance (ELB deregisters it) and launches a replacement. */
  private void terminate(SimHost.Node node, boolean replace) {
    node.alive = false;
    aws.terminated.add(node.instanceId);
    SimTargetGroup.Target t = group.targetOf(node.instanceId);
    if (t != null) {
      group.deregister(node.instanceId, t.port);
    }
    if (node.joined) {
      // A terminated instance's target drains like any other: it leaves the group, and the
      // group's size that maxUnavailable is a share of, after the deregistration delay.
      scheduler.at(scheduler.now() + scenario.deregistrationDelay().toMillis(), () -> members--);
    }
    node.joined = false;
    nodes.remove(node.instanceId);
    forget(node);
    if (replace) {
      scheduler.at(scheduler.now() + BOOT_MILLIS, () -> launch(false));
    }
  }

  // ---- the load balancer's truth and the invariants -----------------------------------------

  /** What a target's health check sees: the host is up and its container on the port serves. */
  private boolean probe(String instanceId, int port) {
    SimHost.Node node = nodes.get(instanceId);
    return node != null
        && node.alive
        && node.docker.onPort(port).map(SimDocker.Container::serving).orElse(false);
  }

  private void targetChanged(
      String instanceId, int port, SimTargetGroup.Health from, SimTargetGroup.Health to) {
    SimHost.Node node = nodes.get(instanceId);
    if (node == null) {
      return;
    }
    if (to == SimTargetGroup.Health.HEALTHY && !node.joined && node.alive) {
      node.joined = true;
      members++;
    }
    recount(node);
  }

  private boolean outOfService(SimHost.Node node) {
    SimTargetGroup.Target t = group.targetOf(node.instanceId);
    return t == null || t.health != SimTargetGroup.Health.HEALTHY;
  }

  /** Whether the host being out is its agent's doing (not dead, evacuating or still joining). */
  private boolean agentsDoing(SimHost.Node node) {
    return node.alive && node.joined && !node.evacuating;
  }

  private void forget(SimHost.Node node) {
    if (countedOut.getOrDefault(node.instanceId, false)) {
      if (countedAgent.get(node.instanceId)) {
        outByAgents--;
      } else {
        outOther--;
      }
    }
    countedOut.remove(node.instanceId);
    countedAgent.remove(node.instanceId);
  }

  private void recount(SimHost.Node node) {
    if (!countedOut.containsKey(node.instanceId)) {
      return;
    }
    boolean wasOut = countedOut.get(node.instanceId);
    boolean wasAgent = countedAgent.get(node.instanceId);
    if (wasOut) {
      if (wasAgent) {
        outByAgents--;
      } else {
        outOther--;
      }
    }
    boolean out = outOfService(node) && (node.joined || !node.alive || node.evacuating);
    boolean agent = agentsDoing(node);
    countedOut.put(node.instanceId, out);
    countedAgent.put(node.instanceId, agent);
    if (out) {
      if (agent) {
        outByAgents++;
      } else {
        outOther++;
      }
    }
    result.maxOutByAgents = Math.max(result.maxOutByAgents, outByAgents);
    result.maxOutTotal = Math.max(result.maxOutTotal, outByAgents + outOther);
    int allowed = CapacityFloor.allowedOut(Math.max(1, members), service.rollout());
    boolean left = out && agent && !(wasOut && wasAgent);
    if (outByAgents > allowed) {
      if (left) {
        result.violation(
            scheduler.now(),
            outByAgents
                + " hosts out of service by their agents, "
                + allowed
                + " allowed (of "
                + members
                + " members)");
      } else {
        // The group shrank under hosts that were already out (a death, a termination): the
        // agents could not have known; reported, not counted against them.
        result.floorShrunk++;
      }
    }
  }

  /** Counts hosts that start the bad digest (the circuit breaker's reach). */
  void started(SimHost.Node node, Digest digest) {
    if (scenario.badDigest()
        && digest.equals(newImage.digest())
        && startedBad.add(node.instanceId)) {
      result.badDigestHosts = startedBad.size();
      if (startedBad.size() > allowedAtPin) {
        result.violation(
            scheduler.now(),
            "the bad digest reached " + startedBad.size() + " hosts, " + allowedAtPin + " allowed");
      }
    }
  }

  private Digest serving(SimHost.Node node) {
    Optional<SimDocker.Container> c = node.docker.onPort(PORT);
    return c.isEmpty() || !c.get().serving() ? null : c.get().digest;
  }

  private void sample() {
    if (finished) {
      return;
    }
    int inService = 0;
    int onNew = 0;
    int alive = 0;
    boolean allDone = scheduler.now() > result.pinAt;
    Digest goal = scenario.badDigest() ? oldImage.digest() : newImage.digest();
    for (SimHost.Node node : nodes.values()) {
      if (!node.alive) {
        continue;
      }
      alive++;
      boolean healthy = !outOfService(node);
      Digest running = serving(node);
      if (healthy) {
        inService++;
      }
      if (healthy && newImage.digest().equals(running)) {
        onNew++;
      }
      boolean done = healthy && goal.equals(running) && !node.evacuating;
      if (done && node.convergedAt < 0 && scheduler.now() > result.pinAt) {
        node.convergedAt = scheduler.now();
        if (!scenario.badDigest()) {
          result.convergence.add(scheduler.now() - result.pinAt);
        }
      }
      if (!node.evacuating && !(done && node.convergedAt >= 0)) {
        allDone = false;
      }
    }
    result.series.add(new long[] {scheduler.now(), alive, inService, onNew, outByAgents, outOther});
    if (allDone && scheduler.now() > result.pinAt + 60_000 && pendingEventsOver()) {
      finished = true;
      result.endAt = scheduler.now();
      scheduler.stop();
      return;
    }
    scheduler.at(scheduler.now() + SAMPLE_MILLIS, this::sample);
  }

  /** Whether scale events are all past (the last come within five minutes of the pin). */
  private boolean pendingEventsOver() {
    return scheduler.now()
        > result.pinAt + 300_000 + SPOT_NOTICE_MILLIS + BOOT_MILLIS + TERMINATE_AFTER_MILLIS;
  }

  private void finish() {
    if (result.endAt == 0) {
      result.endAt = scheduler.now();
    }
    Digest goal = scenario.badDigest() ? oldImage.digest() : newImage.digest();
    for (SimHost.Node node : nodes.values()) {
      if (!node.alive || node.evacuating) {
        continue;
      }
      result.survivors++;
      if (outOfService(node)) {
        result.violation(scheduler.now(), node.instanceId + " ends out of service");
      }
      Digest running = serving(node);
      if (running == null) {
        result.violation(scheduler.now(), node.instanceId + " ends with no serving container");
      } else if (!goal.equals(running)) {
        result.violation(
            scheduler.now(),
            node.instanceId + " ends on " + running.shortForm() + ", not " + goal.shortForm());
      } else if (node.convergedAt < 0) {
        result.violation(scheduler.now(), node.instanceId + " did not converge");
      }
    }
    result.api = aws.stats();
    result.registrationCalls = aws.registrationCalls;
    result.registrationTargets = aws.registrationTargets;
    result.lateCalls = aws.lateCalls;
    result.virtualSeconds = (int) (result.endAt / 1000);
  }

  /** The engine as the agent sees it, telling the fleet which digests hosts start. */
  private final class StartWatch extends ForwardingRuntime {
    private final SimHost.Node node;

    StartWatch(SimHost.Node node) {
      super(node.docker);
      this.node = node;
    }

    @Override
    public void start(String name) {
      super.start(name);
      inspect(name).flatMap(ContainerInfo::digest).ifPresent(d -> started(node, d));
    }
  }
}
