package dev.driftguard.model;

/**
 * One published port in Docker syntax {@code [IP:]HOST:CONTAINER[/tcp|udp]}. {@code hostIp} is
 * empty when the port is published on every address.
 */
public record PortBinding(String hostIp, int hostPort, int containerPort, String protocol) {

  public PortBinding {
    hostIp = hostIp == null ? "" : hostIp;
    protocol = protocol == null ? "tcp" : protocol;
    checkPort(hostPort, "host port");
    checkPort(containerPort, "container port");
    if (!protocol.equals("tcp") && !protocol.equals("udp")) {
      throw new InvalidValueException("protocol must be tcp or udp, not '" + protocol + "'");
    }
  }

  public static PortBinding parse(String value) {
    if (value == null || value.isBlank()) {
      throw new InvalidValueException("empty port binding");
    }
    String spec = value.strip();
    String protocol = "tcp";
    int slash = spec.indexOf('/');
    if (slash >= 0) {
      protocol = spec.substring(slash + 1);
      spec = spec.substring(0, slash);
    }
    int last = spec.lastIndexOf(':');
    if (last < 0) {
      throw new InvalidValueException(
          "port binding '"
              + value
              + "' must be [IP:]HOST:CONTAINER (driftguard publishes explicitly)");
    }
    String container = spec.substring(last + 1);
    String front = spec.substring(0, last);
    String ip = "";
    String host = front;
    int ipColon = front.lastIndexOf(':');
    if (ipColon >= 0) {
      ip = front.substring(0, ipColon);
      host = front.substring(ipColon + 1);
      if (ip.startsWith("[") && ip.endsWith("]")) {
        ip = ip.substring(1, ip.length() - 1);
      }
    }
    try {
      return new PortBinding(ip, Integer.parseInt(host), Integer.parseInt(container), protocol);
    } catch (NumberFormatException e) {
      throw new InvalidValueException(
          "port binding '" + value + "' has a port that is not a number");
    }
  }

  /** The address a local probe uses to reach this port: loopback unless bound to one address. */
  public String probeAddress() {
    return hostIp.isEmpty() || hostIp.equals("0.0.0.0") || hostIp.equals("::")
        ? "127.0.0.1"
        : hostIp;
  }

  private static void checkPort(int port, String what) {
    if (port < 1 || port > 65535) {
      throw new InvalidValueException(what + " must be 1..65535, not " + port);
    }
  }

  @Override
  public String toString() {
    return (hostIp.isEmpty() ? "" : hostIp + ":") + hostPort + ":" + containerPort + "/" + protocol;
  }
}
