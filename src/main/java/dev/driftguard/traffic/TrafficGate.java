package dev.driftguard.traffic;

import dev.driftguard.model.ServiceSpec;

/**
 * Port: this host's place in its service's load balancer. {@link #leave} returns once the target
 * no longer receives new requests and in-flight ones have drained; {@link #join} once the load
 * balancer reports it healthy. Both are idempotent.
 */
public interface TrafficGate {

  /** Takes this host's {@code hostPort} out of service and waits for it to drain. */
  void leave(ServiceSpec service, int hostPort) throws InterruptedException;

  /** Puts this host's {@code hostPort} in service and waits until it is healthy there. */
  void join(ServiceSpec service, int hostPort) throws InterruptedException;

  /** Whether this host's {@code hostPort} is registered (in any state but draining/unused). */
  boolean registered(ServiceSpec service, int hostPort);
}
