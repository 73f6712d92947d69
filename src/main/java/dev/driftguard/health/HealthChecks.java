package dev.driftguard.health;

import dev.driftguard.model.HealthSpec;

/**
 * The health check for each {@link HealthSpec.Type}. The checks hold no per-service state, so one
 * instance of each serves every service.
 */
public final class HealthChecks {
  private static final HealthCheck DOCKER = new DockerHealthCheck();
  private static final HealthCheck HTTP = HttpHealthCheck.create();
  private static final HealthCheck TCP = new TcpHealthCheck();
  private static final HealthCheck NONE = new NoHealthCheck();

  private HealthChecks() {}

  /** The check that judges containers of health type {@code type}. */
  public static HealthCheck forType(HealthSpec.Type type) {
    return switch (type) {
      case DOCKER -> DOCKER;
      case HTTP -> HTTP;
      case TCP -> TCP;
      case NONE -> NONE;
    };
  }
}
