package dev.driftguard.reconcile;

/**
 * One phase of the deploy: it does one thing and says how it went. It never sleeps: a wait is a
 * {@link StepOutcome.Wait}, after which the loop runs the step again. Every step is idempotent, so
 * after a crash the saved phase's step simply runs again. An exception a step throws is a fault of
 * a dependency (the runner turns it into {@link StepOutcome.Fault}).
 */
interface DeployStep {
  StepOutcome run(Deploy deploy);
}
