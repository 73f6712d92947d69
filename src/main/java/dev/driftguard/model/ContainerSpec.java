package dev.driftguard.model;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * How a service's container runs, apart from its image. {@code envFromSsm} maps variable names to
 * SSM SecureString parameter names; their values are resolved at render time and never logged.
 * {@code memoryBytes} is 0 when no limit is set.
 */
public record ContainerSpec(
    List<PortBinding> ports,
    Map<String, String> env,
    Map<String, String> envFromSsm,
    List<String> volumes,
    List<String> command,
    String stopSignal,
    Duration stopTimeout,
    long memoryBytes) {

  /**
   * The longest stop timeout. The engine answers a stop only after the timeout and then the kill,
   * and the Docker client gives up waiting for an answer after {@link #dockerResponseTimeout()}: a
   * longer stop timeout would fail every deploy at STOP.
   */
  public static final Duration MAX_STOP_TIMEOUT = Duration.ofMinutes(4);

  /** What the engine may take beyond the stop timeout to kill the container and answer. */
  private static final Duration KILL_MARGIN = Duration.ofMinutes(1);

  /** How long the Docker client waits for the engine to answer one call (a stop included). */
  public static Duration dockerResponseTimeout() {
    return MAX_STOP_TIMEOUT.plus(KILL_MARGIN);
  }

  public ContainerSpec {
    ports = List.copyOf(ports);
    env = Map.copyOf(env);
    envFromSsm = Map.copyOf(envFromSsm);
    volumes = List.copyOf(volumes);
    command = List.copyOf(command);
    if (stopSignal == null || stopSignal.isBlank()) {
      throw new InvalidValueException("stopSignal must be set");
    }
    if (stopTimeout == null || stopTimeout.isNegative()) {
      throw new InvalidValueException("stopTimeout must be zero or more");
    }
    if (stopTimeout.compareTo(MAX_STOP_TIMEOUT) > 0) {
      throw new InvalidValueException(
          "stopTimeout must be at most " + MAX_STOP_TIMEOUT.toMinutes() + " minutes");
    }
    if (memoryBytes < 0) {
      throw new InvalidValueException("memory must be zero (no limit) or more");
    }
  }

  /** The host port that publishes {@code containerPort}, for probes from this host. */
  public java.util.Optional<PortBinding> publishing(int containerPort) {
    return ports.stream().filter(p -> p.containerPort() == containerPort).findFirst();
  }
}
