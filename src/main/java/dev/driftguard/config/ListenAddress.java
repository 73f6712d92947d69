package dev.driftguard.config;

import dev.driftguard.model.InvalidValueException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * Where one of the agent's HTTP endpoints listens, written {@code HOST:PORT} or {@code
 * [IPV6]:PORT}. Port 0 asks the operating system for a free port (tests run several agents on one
 * machine).
 */
public record ListenAddress(String host, int port) {
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(?:\\.\\d{1,3}){3}");
  private static final Pattern HOSTNAME =
      Pattern.compile(
          "[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*");

  public ListenAddress {
    if (host == null || host.isEmpty()) {
      throw new InvalidValueException("listen address needs a host (0.0.0.0 for every address)");
    }
    if (!isIpLiteral(host) && !HOSTNAME.matcher(host).matches()) {
      throw new InvalidValueException("'" + host + "' is not a host name or IP address");
    }
    if (port < 0 || port > 65535) {
      throw new InvalidValueException("port must be 0..65535, not " + port);
    }
  }

  /**
   * Parses {@code HOST:PORT}, {@code [IPV6]:PORT}.
   *
   * @throws InvalidValueException when it is neither
   */
  public static ListenAddress parse(String value) {
    String text = value == null ? "" : value.strip();
    int colon = text.lastIndexOf(':');
    if (colon < 0) {
      throw new InvalidValueException("'" + text + "' is not HOST:PORT (e.g. 0.0.0.0:10027)");
    }
    String host = text.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    } else if (host.contains(":")) {
      throw new InvalidValueException(
          "'" + text + "': write an IPv6 address in brackets, e.g. [::1]:9274");
    }
    String port = text.substring(colon + 1);
    if (!port.matches("\\d{1,5}")) {
      throw new InvalidValueException("'" + text + "' has no port number after the last ':'");
    }
    return new ListenAddress(host, Integer.parseInt(port));
  }

  /**
   * True when only this machine can connect: {@code localhost}, {@code 127.0.0.0/8} or {@code ::1}.
   * Host names other than {@code localhost} are never resolved here, so this is false for them.
   */
  public boolean isLoopback() {
    if (host.equalsIgnoreCase("localhost")) {
      return true;
    }
    if (!isIpLiteral(host)) {
      return false;
    }
    try {
      // A literal is parsed, never looked up in DNS.
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  /** The address to bind; resolves {@code host} if it is a name. */
  public InetSocketAddress toSocketAddress() {
    return new InetSocketAddress(host, port);
  }

  private static boolean isIpLiteral(String host) {
    return IPV4.matcher(host).matches() || (host.contains(":") && host.matches("[0-9a-fA-F:.]+"));
  }

  @Override
  public String toString() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }
}
