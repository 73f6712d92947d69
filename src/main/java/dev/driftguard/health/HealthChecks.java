package dev.driftguard.health;

import dev.driftguard.model.HealthSpec;

/**
 * The health check for each {@link HealthSpec.Type}: an ordinary object, built once by the
 * composition root ({@link #create}) and handed to the loop as its {@link HealthCheck.Factory}. The
 * checks hold no per-service state, so one instance of each serves every service.
 *
 * @param docker the check for {@code type: docker}
 * @param http the check for {@code type: http}
 * @param tcp the check for {@code type: tcp}
 * @param none the check for {@code type: none}
 */
public record HealthChecks(HealthCheck docker, HealthCheck http, HealthCheck tcp, HealthCheck none)
    implements HealthCheck.Factory {

  public HealthChecks {
    if (docker == null || http == null || tcp == null || none == null) {
      throw new IllegalArgumentException("a check for every health type must be set");
    }
  }

  /** One instance of each production check. */
  public static HealthChecks create() {
    return new HealthChecks(
        new DockerHealthCheck(),
        HttpHealthCheck.create(),
        new TcpHealthCheck(),
        new NoHealthCheck());
  }

  /** The check that judges containers of health type {@code type}. */
  @Override
  public HealthCheck forType(HealthSpec.Type type) {
    return switch (type) {
      case DOCKER -> docker;
      case HTTP -> http;
      case TCP -> tcp;
      case NONE -> none;
    };
  }
}
