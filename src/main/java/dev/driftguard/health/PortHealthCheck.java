package dev.driftguard.health;

import dev.driftguard.model.ContainerSpec;
import dev.driftguard.model.PortBinding;
import java.util.Optional;

/** Where a probe from this host reaches a container port. */
final class Probes {
  private Probes() {}

  /**
   * The TCP host port that publishes {@code containerPort}. Probes never go to the container's own
   * IP: that address is not reachable on every network mode, and the published port is the path the
   * load balancer's traffic takes.
   */
  static Optional<PortBinding> tcpBinding(ContainerSpec containerSpec, int containerPort) {
    return containerSpec.ports().stream()
        .filter(p -> p.containerPort() == containerPort && p.protocol().equals("tcp"))
        .findFirst();
  }

  /** The probe address as it goes into a URI: IPv6 literals in brackets. */
  static String uriHost(String address) {
    return address.contains(":") ? "[" + address + "]" : address;
  }

  static String notPublished(int containerPort) {
    return "container port "
        + containerPort
        + "/tcp is not published on the host; add it to container.ports";
  }
}
