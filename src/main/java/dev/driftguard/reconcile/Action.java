package dev.driftguard.reconcile;

import dev.driftguard.model.DriftReason;
import dev.driftguard.model.ImageRef;
import java.util.Set;

/** What one pass does for a service; the output of {@link Reconciler#decide}. */
public sealed interface Action {

  /** Whether the service is where its desired state says, after this action's decision. */
  boolean inSync();

  /** Nothing to do: the service runs its desired image and settings and is healthy. */
  record InSync() implements Action {
    @Override
    public boolean inSync() {
      return true;
    }
  }

  /**
   * Replace (or create) the container with one from {@code image}. {@code lastResort}: the digest
   * was refused (it rolled back here or on a peer) but this host has nothing else to run, so it is
   * started anyway, past the circuit breaker (DESIGN 3: never empty).
   */
  record Deploy(ImageRef image, Set<DriftReason> reasons, boolean lastResort) implements Action {
    public Deploy {
      reasons = Set.copyOf(reasons);
    }

    public Deploy(ImageRef image, Set<DriftReason> reasons) {
      this(image, reasons, false);
    }

    @Override
    public boolean inSync() {
      return false;
    }
  }

  /** Start the existing container again (same image and settings) and health-check it. */
  record Restart(Set<DriftReason> reasons) implements Action {
    public Restart {
      reasons = Set.copyOf(reasons);
    }

    @Override
    public boolean inSync() {
      return false;
    }
  }

  /** A deploy was interrupted (agent crash or restart): complete it or roll it back. */
  record Resume() implements Action {
    @Override
    public boolean inSync() {
      return false;
    }
  }

  /**
   * Leave everything as it is: the desired state is rejected or unreadable, or names a digest that
   * already rolled back here. {@code why} is for the status page and logs.
   */
  record Hold(String why) implements Action {
    @Override
    public boolean inSync() {
      return false;
    }
  }
}
