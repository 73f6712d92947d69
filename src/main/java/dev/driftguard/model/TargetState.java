package dev.driftguard.model;

import java.util.Locale;

/**
 * A load balancer target's state: ELBv2's target health states, plus NOT_REGISTERED for a target
 * the group does not know. The one home of "which states count as in service", for the deploy, the
 * capacity floor, the status page and the operator commands alike.
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

  /**
   * ELBv2's own words ({@code healthy}, {@code unhealthy.draining}, ...) and reason code to ours. A
   * described-but-unregistered target comes back {@code unused} with reason {@code
   * Target.NotRegistered}: that is NOT_REGISTERED; other {@code unused} reasons (instance stopped,
   * group not attached to a load balancer) stay UNUSED. Words this agent does not know are
   * UNAVAILABLE ("no verdict"). The one mapping the traffic and fleet adapters share.
   */
  public static TargetState fromElbv2(String state, String reason) {
    if (state == null) {
      return UNAVAILABLE;
    }
    return switch (state) {
      case "initial" -> INITIAL;
      case "healthy" -> HEALTHY;
      case "unhealthy" -> UNHEALTHY;
      case "draining", "unhealthy.draining" -> DRAINING;
      case "unused" -> "Target.NotRegistered".equals(reason) ? NOT_REGISTERED : UNUSED;
      default -> UNAVAILABLE;
    };
  }
}
