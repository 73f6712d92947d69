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

  /**
   * What the pass decided for the service, as soon as it is decided: before the pass acts on it (a
   * deploy begun, the in-sync host's registration checked, its state published).
   */
  default void decided(String service, Action action) {}

  default void passFinished(String service, boolean inSync, Action action) {}

  default void passFailed(String service, RuntimeException error) {}

  default void desiredRead(String service, DesiredState desired) {}

  /** What a pass saw of the service's containers and remembered state. */
  default void observed(String service, dev.driftguard.model.ObservedService observed) {}

  /** The service's load balancer target state, whenever the agent learns it. */
  default void targetState(String service, int hostPort, String state) {}

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
