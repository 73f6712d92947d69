package dev.driftguard.model;

import java.time.Duration;
import java.time.Instant;

/**
 * What the agent remembers about a service across restarts (the state file). Null fields are
 * unknown or absent. {@code target} is the image of the deploy under way (phase not IDLE);
 * {@code lastKnownGood} the image that last passed a deploy, what a lost container is restored to;
 * {@code failed} is a digest that rolled back on this host and is not retried until the desired
 * value changes.
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
    String lastError) {

  public static ServiceState initial(String service) {
    return new ServiceState(service, Phase.IDLE, null, null, null, null, null, null, null, null);
  }

  public ServiceState inPhase(Phase next, ImageRef deployTarget, Instant now) {
    return new ServiceState(service, next, deployTarget, lastKnownGood, failed, now, lastOutcome, lastDeployAt, lastDeployDuration, lastError);
  }

  public ServiceState withFailed(Digest digest) {
    return new ServiceState(service, phase, target, lastKnownGood, digest, phaseSince, lastOutcome, lastDeployAt, lastDeployDuration, lastError);
  }

  public ServiceState withLastKnownGood(ImageRef image) {
    return new ServiceState(service, phase, target, image, failed, phaseSince, lastOutcome, lastDeployAt, lastDeployDuration, lastError);
  }

  public ServiceState finished(DeployOutcome outcome, Instant at, Duration took, String error) {
    return new ServiceState(service, Phase.IDLE, null, lastKnownGood, failed, at, outcome, at, took, error);
  }

  public ServiceState withError(String error) {
    return new ServiceState(service, phase, target, lastKnownGood, failed, phaseSince, lastOutcome, lastDeployAt, lastDeployDuration, error);
  }
}
