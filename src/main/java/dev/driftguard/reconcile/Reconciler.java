package dev.driftguard.reconcile;

import dev.driftguard.model.ContainerInfo;
import dev.driftguard.model.DesiredState;
import dev.driftguard.model.DriftReason;
import dev.driftguard.model.HealthSpec;
import dev.driftguard.model.ImageRef;
import dev.driftguard.model.ObservedService;
import dev.driftguard.model.Phase;
import dev.driftguard.model.RunSpec;
import dev.driftguard.model.ServiceSpec;
import dev.driftguard.model.ServiceState;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * The pure decision of one pass: given what should run and what does, what to do. No I/O, no clock:
 * table-tested in {@code ReconcilerTest}.
 *
 * <p>Three rules protect production above all: a desired state that is rejected or unreadable never
 * changes a running container; a lost container is restored to the last image that passed a deploy
 * even when the desired state cannot be read; and a host with nothing running never stays empty:
 * when the pinned digest was refused it starts the last known good one (or the one the fleet runs),
 * and when nothing else is known, the pinned digest itself.
 */
public final class Reconciler {
  /**
   * Polls in a row with a failing probe before a running container counts as unhealthy: one probe
   * per poll, so a host briefly too busy to answer within the probe's timeout is not taken for a
   * broken container (replacing it would take capacity for nothing).
   */
  public static final int UNHEALTHY_PASSES = 5;

  private Reconciler() {}

  public static Action decide(ServiceSpec service, DesiredState desired, ObservedService observed) {
    ServiceState state = observed.state();
    if (state.phase() != Phase.IDLE) {
      return new Action.Resume();
    }
    if (desired instanceof DesiredState.Pinned pinned) {
      return decidePinned(service, pinned.image(), observed);
    }
    String why;
    if (desired instanceof DesiredState.Rejected r) {
      why = "desired state rejected (" + r.reason().label() + "): " + r.message();
    } else {
      why = "desired state unavailable: " + ((DesiredState.Unavailable) desired).cause();
    }
    return restoreOrHold(observed, why);
  }

  private static Action decidePinned(
      ServiceSpec service, ImageRef image, ObservedService observed) {
    ServiceState state = observed.state();
    if (image.digest().equals(state.failed())) {
      Action restore =
          restoreOrHold(
              observed,
              "digest "
                  + image.digest().shortForm()
                  + " rolled back here (or on a peer, and was refused here); "
                  + "pin another digest to deploy again");
      if (restore instanceof Action.Hold && observed.current() == null) {
        // Never empty: with nothing to run and nothing known good, the pinned digest it is.
        return new Action.Deploy(image, EnumSet.of(DriftReason.MISSING), true);
      }
      return restore;
    }
    Set<DriftReason> reasons = drift(service, image, observed);
    if (reasons.isEmpty()) {
      return new Action.InSync();
    }
    if (reasons.equals(EnumSet.of(DriftReason.EXITED))) {
      return new Action.Restart(reasons);
    }
    return new Action.Deploy(image, reasons);
  }

  /** Why the running container differs from {@code image} with the service's settings. */
  public static Set<DriftReason> drift(
      ServiceSpec service, ImageRef image, ObservedService observed) {
    Optional<ContainerInfo> current = observed.currentContainer();
    if (current.isEmpty()) {
      return EnumSet.of(DriftReason.MISSING);
    }
    ContainerInfo c = current.get();
    if (!c.managed()) {
      return EnumSet.of(DriftReason.UNMANAGED);
    }
    Set<DriftReason> reasons = EnumSet.noneOf(DriftReason.class);
    if (!c.digest().map(image.digest()::equals).orElse(false)) {
      reasons.add(DriftReason.DIGEST);
    }
    if (!c.specHash().map(RunSpec.specHashOf(service.container())::equals).orElse(false)) {
      reasons.add(DriftReason.SPEC);
    }
    if (!c.running()) {
      reasons.add(DriftReason.EXITED);
    } else if (unhealthy(service, c, observed.failedProbes())) {
      reasons.add(DriftReason.UNHEALTHY);
    }
    return reasons;
  }

  /**
   * Whether a running container fails the service's own health check: with {@code type: docker},
   * Docker's HEALTHCHECK status; with the agent's probes, {@link #UNHEALTHY_PASSES} failures in a
   * row. An image's HEALTHCHECK does not overrule the check the operator chose: its retries are the
   * image author's (often 2 × 1 s), and an exec'd check on a busy host times out long before the
   * app stops serving, so it replaced healthy containers the load balancer still called healthy.
   */
  static boolean unhealthy(ServiceSpec service, ContainerInfo c, int failedProbes) {
    return service.health().type() == HealthSpec.Type.DOCKER
        ? c.health() == ContainerInfo.Health.UNHEALTHY
        : failedProbes >= UNHEALTHY_PASSES;
  }

  /**
   * The desired state gives nothing to deploy: keep what runs, but bring back a container that died
   * or vanished, as the last image known good.
   */
  private static Action restoreOrHold(ObservedService observed, String why) {
    Optional<ContainerInfo> current = observed.currentContainer();
    ImageRef lastKnownGood = observed.state().lastKnownGood();
    if (current.isPresent() && current.get().managed() && !current.get().running()) {
      return new Action.Restart(EnumSet.of(DriftReason.EXITED));
    }
    if (current.isEmpty() && lastKnownGood != null) {
      return new Action.Deploy(lastKnownGood, EnumSet.of(DriftReason.MISSING));
    }
    return new Action.Hold(why);
  }
}
