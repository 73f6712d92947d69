package dev.driftguard.reconcile;

import dev.driftguard.model.ContainerInfo;
import dev.driftguard.model.DeployPath;
import dev.driftguard.model.RunSpec;
import java.util.Optional;

/**
 * START: creates and starts the new container with its labels (stop-first under the service's name,
 * start-first as {@code -next} on the second port), or starts the existing one again (restart).
 * After a restart of the agent the spec is rendered again; a container of the target image already
 * in place is only started. Any failure here is a fault (a port clash, the engine, the secrets):
 * RESTORE puts the previous container back.
 */
final class StartStep implements DeployStep {
  private final StepEnv env;

  StartStep(StepEnv env) {
    this.env = env;
  }

  @Override
  public StepOutcome run(Deploy d) {
    String name = d.newContainerName();
    if (d.path == DeployPath.RESTART) {
      env.runtime().start(name);
      return StepOutcome.done();
    }
    Optional<ContainerInfo> existing = env.runtime().inspect(name);
    if (existing.isPresent() && !StepEnv.runs(existing.get(), d.image)) {
      if (d.path == DeployPath.START_FIRST) {
        // A -next from an attempt at another digest: it never served, drop it.
        env.runtime().remove(name);
        existing = Optional.empty();
      } else {
        return new StepOutcome.Fault(
            "container "
                + name
                + " runs another image where the new one belongs; restoring the previous one");
      }
    }
    if (existing.isEmpty()) {
      RunSpec spec = d.spec;
      if (spec == null) {
        // Resumed after an agent restart: the image is normally still here.
        env.ensurePulled(d.image);
        spec = env.render(d.service, d.image);
        if (d.path == DeployPath.START_FIRST) {
          spec = StepEnv.onPort(spec, d.newPort);
        }
        d.spec = spec;
      }
      env.runtime().create(name, spec);
    }
    env.runtime().start(name);
    return StepOutcome.done();
  }
}
