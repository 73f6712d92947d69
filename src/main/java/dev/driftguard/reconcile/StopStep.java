package dev.driftguard.reconcile;

import dev.driftguard.model.DeployPath;
import dev.driftguard.model.ServiceSpec;
import dev.driftguard.runtime.ContainerRuntime;

/**
 * STOP: retires the old container, kept as {@code <service>-previous} for a rollback or a restore.
 * stop-first: stop it and rename it. start-first: the new container already serves, so stop the old
 * one, rename it, and give {@code -next} the service's name. A previous container left by an
 * earlier, committed deploy is removed first; when no container serves, an existing previous one is
 * kept, as it is then the only thing to restore. Idempotent at every point.
 */
final class StopStep implements DeployStep {
  private final StepEnv env;

  StopStep(StepEnv env) {
    this.env = env;
  }

  @Override
  public StepOutcome run(Deploy d) {
    ContainerRuntime runtime = env.runtime();
    ServiceSpec s = d.service;
    String name = s.containerName();
    if (d.path == DeployPath.START_FIRST) {
      if (runtime.inspect(s.nextContainerName()).isPresent()) {
        retire(runtime, s, name);
        runtime.rename(s.nextContainerName(), name);
      }
      return StepOutcome.done();
    }
    retire(runtime, s, name);
    return StepOutcome.done();
  }

  private static void retire(ContainerRuntime runtime, ServiceSpec s, String name) {
    if (runtime.inspect(name).isEmpty()) {
      return;
    }
    runtime.remove(s.previousContainerName());
    runtime.stop(name, s.container().stopSignal(), s.container().stopTimeout());
    runtime.rename(name, s.previousContainerName());
  }
}
