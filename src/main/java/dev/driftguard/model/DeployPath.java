package dev.driftguard.model;

/**
 * Which sequence of phases a deploy runs (DESIGN 3), saved with the phase so a resumed deploy
 * continues through the same table even if the configured strategy changed meanwhile.
 */
public enum DeployPath {
  /** Stop the old container, then start the new one on the same ports. */
  STOP_FIRST,
  /** Start the new container on a second host port, then retire the old one. */
  START_FIRST,
  /** Start the service's existing (exited) container again; no new image, no turn taken. */
  RESTART;

  /** The path of a deploy of a new image with {@code strategy}. */
  public static DeployPath of(RolloutSpec.Strategy strategy) {
    return strategy == RolloutSpec.Strategy.START_FIRST ? START_FIRST : STOP_FIRST;
  }

  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
  }
}
