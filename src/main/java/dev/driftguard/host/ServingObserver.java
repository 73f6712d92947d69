package dev.driftguard.host;

import java.time.Instant;

/**
 * Port: the loop tells, once per tick, whether the host serves anything; an implementation acts on
 * how long it has not ({@link SelfReport}: marks the host unhealthy in its Auto Scaling group).
 */
public interface ServingObserver {

  /** Observes nothing: what runs when {@code agent.selfReport} is off. */
  ServingObserver NONE = (serving, now) -> {};

  /**
   * @param serving true when at least one service has a running container that passes its health
   *     check (or has none to pass); false when the host could serve nothing
   * @param now the loop's clock
   */
  void observe(boolean serving, Instant now);
}
