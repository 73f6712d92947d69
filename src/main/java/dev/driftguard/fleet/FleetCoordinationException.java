package dev.driftguard.fleet;

import dev.driftguard.model.BackendException;

/**
 * What the peers say could not be read (the target group's health, peers' tags). The caller must
 * treat it as "unknown", never as "no peers": a host that cannot see the fleet does not leave
 * service and does not deploy a digest it cannot check. {@code throttled} asks it to back off.
 */
public class FleetCoordinationException extends BackendException {
  private static final long serialVersionUID = 1L;

  public FleetCoordinationException(String message, boolean throttled, Throwable cause) {
    super(message, throttled, cause);
  }
}
