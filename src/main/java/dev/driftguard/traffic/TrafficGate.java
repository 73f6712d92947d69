package dev.driftguard.traffic;

import dev.driftguard.model.ServiceSpec;

/**
 * Port: this host's targets in its service's load balancer target group. A target is this
 * instance on one host port. Every call is idempotent: registering a registered target or
 * deregistering an unregistered one succeeds, as in ELBv2. Waits are bounded by the service's
 * traffic settings.
 */
public interface TrafficGate {

  /** Registers this instance on {@code hostPort}. */
  void register(ServiceSpec service, int hostPort);

  /** Deregisters this instance on {@code hostPort}; new requests stop, in-flight ones drain. */
  void deregister(ServiceSpec service, int hostPort);

  /**
   * Waits until the target is {@code unused} (drained) or the drain timeout passes (the target
   * group's deregistration delay when {@code drainTimeout} is auto, capped by config).
   */
  void awaitDrained(ServiceSpec service, int hostPort) throws InterruptedException;

  /**
   * Waits until the target is {@code healthy}, within the service's healthy deadline.
   *
   * @return empty when healthy; otherwise why not (e.g. "unhealthy: Target.ResponseCodeMismatch")
   */
  java.util.Optional<String> awaitHealthy(ServiceSpec service, int hostPort) throws InterruptedException;

  /** The target's state now: what the load balancer reports, for recovery and the status page. */
  TargetState state(ServiceSpec service, int hostPort);

  /** ELBv2 target health states, plus NOT_REGISTERED for a target the group does not know. */
  enum TargetState {
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

    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }
}
