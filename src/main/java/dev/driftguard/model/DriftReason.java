package dev.driftguard.model;

/**
 * Why the running container differs from the desired one; label of driftguard_drift_detected_total.
 */
public enum DriftReason {
  /** The desired digest differs from the running container's. */
  DIGEST,
  /** The rendered run settings (spec hash) differ. */
  SPEC,
  /** No container with the service's name exists. */
  MISSING,
  /** The container exists but is not running. */
  EXITED,
  /** The container runs but has failed its health check persistently. */
  UNHEALTHY,
  /** A container with the service's name that driftguard did not create. */
  UNMANAGED;

  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
