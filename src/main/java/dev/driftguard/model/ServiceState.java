package dev.driftguard.model;

import java.time.Duration;
import java.time.Instant;

/**
 * What the agent remembers about a service across restarts (the state file). Null fields are
 * unknown or absent. {@code target} is the image of the deploy under way (phase not IDLE) and
 * {@code path} the sequence it runs; {@code lastKnownGood} the image that last passed a deploy on
 * this host (or that the fleet last ran healthy, learned when this host had nothing to run), what a
 * lost container is restored to; {@code failed} is a digest that rolled back on this host (or on a
 * peer) and is not retried until the desired value changes.
 */
public record ServiceState(
    String service,
    Phase phase,
    ImageRef target,
    ImageRef lastKnownGood,
    Digest failed,
    Instant phaseSince,
    DeployOutcome lastOutcome,
    Instant lastDeployAt,
    Duration lastDeployDuration,
    String lastError,
    DeployPath path) {

  public static ServiceState initial(String service) {
    return new ServiceState(
        service, Phase.IDLE, null, null, null, null, null, null, null, null, null);
  }

  /** The deploy of {@code deployTarget} along {@code deployPath} enters {@code next}. */
  public ServiceState inPhase(
      Phase next, ImageRef deployTarget, DeployPath deployPath, Instant now) {
    return new ServiceState(
        service,
        next,
        deployTarget,
        lastKnownGood,
        failed,
        now,
        lastOutcome,
        lastDeployAt,
        lastDeployDuration,
        lastError,
        deployPath);
  }

  public ServiceState withFailed(Digest digest) {
    return new ServiceState(
        service,
        phase,
        target,
        lastKnownGood,
        digest,
        phaseSince,
        lastOutcome,
        lastDeployAt,
        lastDeployDuration,
        lastError,
        path);
  }

  public ServiceState withLastKnownGood(ImageRef image) {
    return new ServiceState(
        service,
        phase,
        target,
        image,
        failed,
        phaseSince,
        lastOutcome,
        lastDeployAt,
        lastDeployDuration,
        lastError,
        path);
  }

  /** The deploy ended: back to IDLE with its outcome. */
  public ServiceState finished(DeployOutcome outcome, Instant at, Duration took, String error) {
    return new ServiceState(
        service, Phase.IDLE, null, lastKnownGood, failed, at, outcome, at, took, error, null);
  }

  /** An interrupted attempt is dropped without an outcome (nothing on the host had changed). */
  public ServiceState abandoned(Instant at) {
    return new ServiceState(
        service,
        Phase.IDLE,
        null,
        lastKnownGood,
        failed,
        at,
        lastOutcome,
        lastDeployAt,
        lastDeployDuration,
        lastError,
        null);
  }

  public ServiceState withError(String error) {
    return new ServiceState(
        service,
        phase,
        target,
        lastKnownGood,
        failed,
        phaseSince,
        lastOutcome,
        lastDeployAt,
        lastDeployDuration,
        error,
        path);
  }
}
