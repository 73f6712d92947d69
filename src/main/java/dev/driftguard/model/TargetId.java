package dev.driftguard.model;

import java.util.Objects;

/** A target of a load balancer's target group: an instance on a host port. */
public record TargetId(String instanceId, int port) {
  public TargetId {
    Objects.requireNonNull(instanceId, "instanceId");
  }

  @Override
  public String toString() {
    return instanceId + ":" + port;
  }
}
