package dev.driftguard.reconcile;

import dev.driftguard.model.DeployOutcome;
import dev.driftguard.model.DesiredState;
import dev.driftguard.model.DriftReason;
import dev.driftguard.model.Phase;
import java.time.Duration;

/**
 * What the reconciler reports as it works, for metrics and the status page. Methods default to
 * doing nothing so each listener implements only what it records.
 */
public interface ReconcileListener {

  default void passFinished(String service, boolean inSync, Action action) {}

  default void passFailed(String service, RuntimeException error) {}

  default void desiredRead(String service, DesiredState desired) {}

  default void desiredRejected(String service, DesiredState.Rejected rejected) {}

  default void driftDetected(String service, DriftReason reason) {}

  default void phaseFinished(String service, Phase phase, Duration took) {}

  default void imagePulled(String service, Duration took) {}

  default void outOfService(String service, Duration took) {}

  default void deployFinished(String service, DeployOutcome outcome, Duration took) {}

  /** Fans one event out to several listeners. */
  static ReconcileListener all(java.util.List<ReconcileListener> listeners) {
    return new CompositeReconcileListener(listeners);
  }
}
