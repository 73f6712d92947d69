package dev.driftguard.health;

import dev.driftguard.model.ContainerInfo;
import dev.driftguard.model.ContainerSpec;
import dev.driftguard.model.HealthSpec;
import java.util.Locale;

/**
 * Port: one health probe of a running container, bounded by {@code spec.timeout()}. Waiting for a
 * threshold of passes within a deadline is the deployer's job, so every check type shares the same
 * rules for exits, restarts and deadlines.
 */
public interface HealthCheck {

  /**
   * @param container the container as just inspected (its Docker health status included)
   * @param containerSpec the service's container settings, for the host port that publishes {@code
   *     spec.port()}
   */
  ProbeResult probe(ContainerInfo container, ContainerSpec containerSpec, HealthSpec spec);

  /** Chooses the check for a health type; {@link HealthChecks#create} in production. */
  @FunctionalInterface
  interface Factory {
    HealthCheck forType(dev.driftguard.model.HealthSpec.Type type);
  }

  /** One probe's verdict and a short reason for logs ("HTTP 503", "connection refused"). */
  record ProbeResult(boolean healthy, String detail) {
    public static ProbeResult pass(String detail) {
      return new ProbeResult(true, detail);
    }

    public static ProbeResult fail(String detail) {
      return new ProbeResult(false, detail);
    }

    /** The verdict of every check on a container that is not running: it is not healthy. */
    public static ProbeResult notRunning(ContainerInfo container) {
      return fail("container is " + container.state().name().toLowerCase(Locale.ROOT));
    }
  }
}
