package dev.driftguard.config;

import dev.driftguard.model.PortBinding;

/**
 * A port a service publishes and where it was written ({@code services[0].container.ports[1]}).
 * Host ports are shared by everything on the host, so clashes are checked within a service ({@link
 * ContainerReader}) and across services and the agent's own ports ({@link ConfigLoader}); the path
 * lets either name the entry that already holds the port.
 */
record PublishedPort(PortBinding binding, String path) {

  /** Two bindings clash when they would bind the same host address, port and protocol. */
  static boolean conflict(PortBinding a, PortBinding b) {
    return a.hostPort() == b.hostPort()
        && a.protocol().equals(b.protocol())
        && (a.hostIp().equals(b.hostIp()) || isWildcard(a.hostIp()) || isWildcard(b.hostIp()));
  }

  private static boolean isWildcard(String ip) {
    return ip.isEmpty() || ip.equals("0.0.0.0") || ip.equals("::");
  }
}
