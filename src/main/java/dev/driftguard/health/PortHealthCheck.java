package dev.driftguard.health;

import dev.driftguard.health.HealthCheck.ProbeResult;
import dev.driftguard.model.ContainerInfo;
import dev.driftguard.model.ContainerSpec;
import dev.driftguard.model.HealthSpec;
import dev.driftguard.model.PortBinding;
import java.net.Proxy;
import java.net.Socket;
import java.util.Optional;

/**
 * A check that probes a container port from this host ({@code http}, {@code tcp}): a container that
 * is not running fails, and so does one whose probed port is not published; each subclass says only
 * how one published port is probed.
 */
abstract class PortHealthCheck implements HealthCheck {

  /**
   * Probes {@code spec.port()} through {@code binding}, the TCP host port that publishes it, within
   * {@code spec.timeout()}.
   */
  abstract ProbeResult probe(PortBinding binding, HealthSpec spec);

  @Override
  public final ProbeResult probe(
      ContainerInfo container, ContainerSpec containerSpec, HealthSpec spec) {
    if (!container.running()) {
      return ProbeResult.notRunning(container);
    }
    Optional<PortBinding> binding = tcpBinding(containerSpec, spec.port());
    if (binding.isEmpty()) {
      return ProbeResult.fail(notPublished(spec.port()));
    }
    return probe(binding.get(), spec);
  }

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

  /**
   * An unconnected socket for one probe. Probes go to this host: a SOCKS proxy from the JVM's
   * settings ({@code socksProxyHost}), which a plain {@code new Socket()} would use, must not see
   * them.
   */
  static Socket socket() {
    return new Socket(Proxy.NO_PROXY);
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
