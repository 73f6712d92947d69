package dev.driftguard.model;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * A container as the runtime reports it. {@code labels} are the container's labels; {@link
 * #managed()} tells whether driftguard created it.
 */
public record ContainerInfo(
    String id,
    String name,
    String imageId,
    Map<String, String> labels,
    State state,
    Health health,
    int restartCount,
    int exitCode,
    Instant startedAt) {

  /** The container's lifecycle state. */
  public enum State {
    CREATED,
    RUNNING,
    RESTARTING,
    PAUSED,
    EXITED,
    DEAD,
    REMOVING
  }

  /** The image's HEALTHCHECK status; NONE when the image has none. */
  public enum Health {
    NONE,
    STARTING,
    HEALTHY,
    UNHEALTHY
  }

  public ContainerInfo {
    labels = Map.copyOf(labels);
  }

  public boolean managed() {
    return labels.containsKey(Labels.SERVICE) && labels.containsKey(Labels.DIGEST);
  }

  public boolean running() {
    return state == State.RUNNING;
  }

  /** The digest the container was created from, per its label. */
  public Optional<Digest> digest() {
    String value = labels.get(Labels.DIGEST);
    try {
      return value == null ? Optional.empty() : Optional.of(Digest.parse(value));
    } catch (InvalidValueException e) {
      return Optional.empty();
    }
  }

  /**
   * The host port its traffic port is published on, per its label (containers made by driftguard).
   */
  public Optional<Integer> hostPort() {
    try {
      return Optional.ofNullable(labels.get(Labels.HOST_PORT)).map(Integer::valueOf);
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  public Optional<String> specHash() {
    return Optional.ofNullable(labels.get(Labels.SPEC_HASH));
  }
}
