package dev.driftguard.reconcile;

import dev.driftguard.model.DeployOutcome;
import dev.driftguard.model.DesiredState;
import dev.driftguard.model.DriftReason;
import dev.driftguard.model.Phase;
import java.time.Duration;
import java.util.List;

/** Forwards every event to each listener in order. */
final class CompositeReconcileListener implements ReconcileListener {
  private final List<ReconcileListener> listeners;

  CompositeReconcileListener(List<ReconcileListener> listeners) {
    this.listeners = List.copyOf(listeners);
  }

  @Override
  public void decided(String service, Action action) {
    listeners.forEach(l -> l.decided(service, action));
  }

  @Override
  public void passFinished(String service, boolean inSync, Action action) {
    listeners.forEach(l -> l.passFinished(service, inSync, action));
  }

  @Override
  public void passFailed(String service, RuntimeException error) {
    listeners.forEach(l -> l.passFailed(service, error));
  }

  @Override
  public void desiredRead(String service, DesiredState desired) {
    listeners.forEach(l -> l.desiredRead(service, desired));
  }

  @Override
  public void observed(String service, dev.driftguard.model.ObservedService observed) {
    listeners.forEach(l -> l.observed(service, observed));
  }

  @Override
  public void targetState(String service, int hostPort, String state) {
    listeners.forEach(l -> l.targetState(service, hostPort, state));
  }

  @Override
  public void desiredRejected(String service, DesiredState.Rejected rejected) {
    listeners.forEach(l -> l.desiredRejected(service, rejected));
  }

  @Override
  public void driftDetected(String service, DriftReason reason) {
    listeners.forEach(l -> l.driftDetected(service, reason));
  }

  @Override
  public void phaseFinished(String service, Phase phase, Duration took) {
    listeners.forEach(l -> l.phaseFinished(service, phase, took));
  }

  @Override
  public void imagePulled(String service, Duration took) {
    listeners.forEach(l -> l.imagePulled(service, took));
  }

  @Override
  public void outOfService(String service, Duration took) {
    listeners.forEach(l -> l.outOfService(service, took));
  }

  @Override
  public void deployFinished(String service, DeployOutcome outcome, Duration took) {
    listeners.forEach(l -> l.deployFinished(service, outcome, took));
  }
}
