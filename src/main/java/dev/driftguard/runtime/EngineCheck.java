package dev.driftguard.runtime;

import dev.driftguard.runtime.ContainerRuntime.EngineInfo;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's start-up look at the engine: without live-restore, every dockerd stop, restart or
 * upgrade stops every container on the host, so the services go dark until the engine is back and
 * restarts them (restart policy {@code unless-stopped}). The AMI enables it in {@code
 * /etc/docker/daemon.json}; an engine configured otherwise gets one warning saying how to fix it.
 */
public final class EngineCheck {
  private static final Logger logger = LoggerFactory.getLogger(EngineCheck.class);

  private EngineCheck() {}

  /** The warning for {@code engine}, if it deserves one. */
  public static Optional<String> warning(EngineInfo engine) {
    if (engine.liveRestore()) {
      return Optional.empty();
    }
    return Optional.of(
        "the Docker engine ("
            + engine.version()
            + ") runs without live-restore: stopping or restarting dockerd stops every container"
            + " of this host until it is back; set \"live-restore\": true in"
            + " /etc/docker/daemon.json and reload dockerd (systemctl reload docker)");
  }

  /**
   * Asks the engine once and logs the outcome once: a warning without live-restore, a note when the
   * engine cannot be asked (it may not be up yet; the deploys will say more).
   *
   * @return what the engine said, or empty when it did not answer
   */
  public static Optional<EngineInfo> checkOnce(ContainerRuntime runtime) {
    EngineInfo engine;
    try {
      engine = runtime.engineInfo();
    } catch (ContainerRuntimeException e) {
      logger.warn("cannot check the Docker engine's live-restore setting: {}", e.getMessage());
      return Optional.empty();
    }
    Optional<String> warning = warning(engine);
    if (warning.isPresent()) {
      logger.warn(warning.get());
    } else {
      logger.info(
          "Docker engine {} keeps containers running across its restarts (live-restore)",
          engine.version());
    }
    return Optional.of(engine);
  }
}
