package dev.driftguard.model;

/**
 * How a new image replaces the running one. {@code maxUnavailable} is a count of hosts, or a
 * percentage of the registered targets when {@code maxUnavailablePercent} is true. {@code
 * nextHostPort} is the host port that start-first gives the second container (0 when the strategy
 * is stop-first). {@code runOnce} is a command run from the new image on exactly one host of the
 * fleet before any host switches (e.g. database migrations); empty for none.
 */
public record RolloutSpec(
    Strategy strategy,
    int maxUnavailable,
    boolean maxUnavailablePercent,
    boolean rollback,
    int nextHostPort,
    java.util.List<String> runOnce) {

  /** Which container goes first. */
  public enum Strategy {
    /** Stop the old container, then start the new one on the same ports. */
    STOP_FIRST,
    /** Start the new container on a second host port, then retire the old one. */
    START_FIRST
  }

  public RolloutSpec {
    if (strategy == null) {
      throw new InvalidValueException("rollout strategy must be set");
    }
    if (maxUnavailable < 1) {
      throw new InvalidValueException("maxUnavailable must be at least 1 (or 1%)");
    }
    if (maxUnavailablePercent && maxUnavailable > 100) {
      throw new InvalidValueException("maxUnavailable must be at most 100%");
    }
    if (strategy == Strategy.START_FIRST && (nextHostPort < 1 || nextHostPort > 65535)) {
      throw new InvalidValueException("start-first needs a second host port (1..65535)");
    }
    runOnce = runOnce == null ? java.util.List.of() : java.util.List.copyOf(runOnce);
  }

  /** A rollout without a one-time task. */
  public RolloutSpec(
      Strategy strategy,
      int maxUnavailable,
      boolean maxUnavailablePercent,
      boolean rollback,
      int nextHostPort) {
    this(
        strategy,
        maxUnavailable,
        maxUnavailablePercent,
        rollback,
        nextHostPort,
        java.util.List.of());
  }

  public static RolloutSpec stopFirst() {
    return new RolloutSpec(Strategy.STOP_FIRST, 1, false, true, 0);
  }
}
