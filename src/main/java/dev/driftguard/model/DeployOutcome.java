package dev.driftguard.model;

/** How a deploy ended; label of driftguard_deploys_total. */
public enum DeployOutcome {
  SUCCESS,
  ROLLED_BACK,
  FAILED;

  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
