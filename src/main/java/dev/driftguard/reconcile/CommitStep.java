package dev.driftguard.reconcile;

import dev.driftguard.model.ServiceState;

/**
 * COMMIT: the new image is the last known good one; if it was the digest marked failed (a last
 * resort that turned out healthy), the mark goes. A mark on another digest stays: this host may
 * have restored what the fleet runs while the pinned digest stays refused. The previous container
 * is removed later, after the stabilisation time.
 */
final class CommitStep implements DeployStep {
  private final StepEnv env;

  CommitStep(StepEnv env) {
    this.env = env;
  }

  @Override
  public StepOutcome run(Deploy d) {
    StateBook states = env.states();
    ServiceState s = states.get(d.service.name()).withLastKnownGood(d.image);
    states.put(d.image.digest().equals(s.failed()) ? s.withFailed(null) : s);
    return StepOutcome.done();
  }
}
