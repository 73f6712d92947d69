package dev.driftguard.model;

/**
 * Where a service's deploy stands (DESIGN 3). IDLE when no deploy is under way. RUN_ONCE runs (or
 * waits for) the rollout's one-time task, before any host switches. ROLLBACK restores the previous
 * container after evidence against the new image (its digest is then condemned); RESTORE does the
 * same after a fault of the host or a dependency, which condemns nothing.
 */
public enum Phase {
  IDLE,
  PULL,
  RUN_ONCE,
  GATE,
  DEREGISTER,
  STOP,
  START,
  HEALTH,
  REGISTER,
  COMMIT,
  ROLLBACK,
  RESTORE;

  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
