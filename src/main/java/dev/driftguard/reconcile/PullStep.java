package dev.driftguard.reconcile;

import dev.driftguard.fleet.FleetCoordinationException;
import dev.driftguard.model.DeployPath;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * PULL: the circuit breaker first (one read of the peers' tags per deploy, never per pass), then
 * the image by digest while the old container keeps serving, then the run spec with its secrets.
 * Nothing on the host changes here, so any failure only ends the attempt; a throttled read of the
 * tags waits and reads again instead.
 */
final class PullStep implements DeployStep {
  private final StepEnv env;

  PullStep(StepEnv env) {
    this.env = env;
  }

  @Override
  public StepOutcome run(Deploy d) {
    if (!d.lastResort) {
      Optional<String> peer;
      try {
        peer = env.fleet().rolledBackBy(d.service, d.image.digest());
      } catch (FleetCoordinationException e) {
        return StepOutcome.waitFor(env.pauseIfThrottled(d, e));
      }
      if (peer.isPresent()) {
        return new StepOutcome.Refused(
            "digest " + d.image.digest().shortForm() + " was rolled back on " + peer.get());
      }
    }
    Instant start = env.clock().instant();
    env.pull(d.image);
    env.listener().imagePulled(d.service.name(), Duration.between(start, env.clock().instant()));
    d.spec = env.render(d.service, d.image);
    if (d.path == DeployPath.START_FIRST) {
      d.spec = StepEnv.onPort(d.spec, d.newPort);
    }
    return StepOutcome.done();
  }
}
