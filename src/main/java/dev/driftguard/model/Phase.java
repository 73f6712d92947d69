package dev.driftguard.model;

/** Where a service's deploy stands (DESIGN 3). IDLE when no deploy is under way. */
public enum Phase {
  IDLE,
  PULL,
  GATE,
  DEREGISTER,
  STOP,
  START,
  HEALTH,
  REGISTER,
  COMMIT,
  ROLLBACK;

  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
