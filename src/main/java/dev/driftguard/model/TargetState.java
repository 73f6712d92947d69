package dev.driftguard.model;

import java.util.Locale;

/**
 * A load balancer target's state: ELBv2's target health states, plus NOT_REGISTERED for a target
 * the group does not know. The one home of "which states count as in service", for the deploy,
 * the capacity floor, the status page and the operator commands alike.
 */
public enum TargetState {
  INITIAL,
  HEALTHY,
  UNHEALTHY,
  UNUSED,
  DRAINING,
  UNAVAILABLE,
  NOT_REGISTERED;

  /** Whether the target receives (or is about to receive) new requests. */
  public boolean inService() {
    return this == INITIAL || this == HEALTHY || this == UNHEALTHY || this == UNAVAILABLE;
  }

  /** Whether the target has left the group or finished draining: nothing reaches it any more. */
  public boolean gone() {
    return this == UNUSED || this == NOT_REGISTERED;
  }

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
