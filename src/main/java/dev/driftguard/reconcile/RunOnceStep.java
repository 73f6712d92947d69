package dev.driftguard.reconcile;

import dev.driftguard.fleet.TurnLease;
import dev.driftguard.model.ContainerInfo;
import dev.driftguard.model.RunSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * RUN_ONCE: the rollout's one-time task ({@code rollout.runOnce}, e.g. migrations) runs from the
 * new image on exactly one host of the fleet before any host switches (DESIGN 4). The {@link
 * TurnLease}'s run record elects the runner: the first host to ask runs it, as a container of its
 * own beside the serving one ({@code <service>-once}, no published ports), renewing the record
 * while it runs; every other host polls the record and goes on when it says SUCCEEDED. A task that
 * fails is evidence against the image: every host ends its deploy rolled back and the digest is
 * published as failed. A runner that dies is replaced once its record expires.
 */
final class RunOnceStep implements DeployStep {
  private static final Logger logger = LoggerFactory.getLogger(RunOnceStep.class);

  /** Between two looks at the task (its container here, or the record a peer writes). */
  static final Duration POLL = Duration.ofSeconds(2);

  private final StepEnv env;

  RunOnceStep(StepEnv env) {
    this.env = env;
  }

  @Override
  public StepOutcome run(Deploy d) {
    if (d.service.rollout().runOnce().isEmpty()) {
      return StepOutcome.done();
    }
    Duration ttl = env.timing().leaseTtl();
    String task = d.service.name() + "@" + d.image.digest().value();
    String container = d.service.containerName() + "-once";
    TurnLease.Run run = env.turns().beginRun(task, env.instanceId(), ttl);
    switch (run.state()) {
      case SUCCEEDED:
        env.runtime().remove(container);
        return StepOutcome.done();
      case FAILED:
        return new StepOutcome.ImageBad(
            "the rollout's one-time task "
                + d.service.rollout().runOnce()
                + " failed on "
                + run.owner());
      default:
        break;
    }
    if (!run.runBy(env.instanceId())) {
      say(d, "waiting for the one-time task, run by " + run.owner());
      return StepOutcome.waitFor(env.jittered(POLL.multipliedBy(2)));
    }
    Optional<ContainerInfo> seen = env.runtime().inspect(container);
    if (seen.isEmpty()
        || !seen.get()
            .labels()
            .getOrDefault(dev.driftguard.model.Labels.DIGEST, "")
            .equals(d.image.digest().value())) {
      env.runtime().remove(container);
      RunSpec spec =
          (d.spec != null ? d.spec : env.render(d.service, d.image))
              .oneTimeTask(d.service.rollout().runOnce());
      env.runtime().create(container, spec);
      env.runtime().start(container);
      logger.info(
          "{} running the one-time task {} for the fleet",
          d.context(),
          d.service.rollout().runOnce());
      return StepOutcome.waitFor(POLL);
    }
    ContainerInfo c = seen.get();
    if (c.running() || c.state() == ContainerInfo.State.CREATED) {
      if (c.state() == ContainerInfo.State.CREATED) {
        env.runtime().start(container);
      }
      Instant now = env.clock().instant();
      if (now.isAfter(run.expiresAt().minus(ttl.dividedBy(2))) && !env.turns().renewRun(run, ttl)) {
        return new StepOutcome.Fault(
            "the one-time task's record was taken over; another host runs it");
      }
      return StepOutcome.waitFor(POLL);
    }
    boolean ok = c.exitCode() == 0;
    env.turns().finishRun(run, ok ? TurnLease.RunState.SUCCEEDED : TurnLease.RunState.FAILED);
    logger.info("{} one-time task exited with code {}", d.context(), c.exitCode());
    if (!ok) {
      // Kept for the operator to read its logs; replaced by the next attempt.
      return new StepOutcome.ImageBad(
          "the rollout's one-time task "
              + d.service.rollout().runOnce()
              + " exited with code "
              + c.exitCode()
              + " (container "
              + container
              + ")");
    }
    env.runtime().remove(container);
    return StepOutcome.done();
  }

  private static void say(Deploy d, String why) {
    if (!why.equals(d.lastDetail)) {
      logger.info("{} {}", d.context(), why);
      d.lastDetail = why;
    }
  }
}
