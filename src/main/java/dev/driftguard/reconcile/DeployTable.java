package dev.driftguard.reconcile;

import dev.driftguard.model.DeployOutcome;
import dev.driftguard.model.DeployPath;
import dev.driftguard.model.Phase;
import dev.driftguard.reconcile.StepOutcome.Kind;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The deploy state machine as a table: (path, phase, step outcome) to the next phase or an end.
 * Pure and table-tested ({@code DeployTableTest}); a resumed deploy continues through the same
 * table from its saved phase.
 *
 * <p>The rules it encodes (DESIGN 3):
 *
 * <ul>
 *   <li>DONE goes to the next phase of the path; the last one ends in success.
 *   <li>Before anything on the host changed (PULL, GATE) a fault ends the attempt; it is retried
 *       with backoff. After that, a fault goes to RESTORE: the previous container is put back in
 *       service at once, without waiting for the failed dependency, and nothing is condemned.
 *   <li>Only IMAGE_BAD condemns the digest: from HEALTH it goes to ROLLBACK; from RUN_ONCE (the
 *       rollout's one-time task failed) the deploy ends rolled back before anything changed.
 *   <li>A fault inside ROLLBACK or RESTORE stays there (retried with backoff): both end only when
 *       one container serves and is registered, or when there is nothing to restore.
 *   <li>REFUSED (the circuit breaker) ends the attempt before anything changed.
 * </ul>
 */
final class DeployTable {
  private DeployTable() {}

  /** How a deploy ends, and the outcome it reports. */
  enum End {
    SUCCESS(DeployOutcome.SUCCESS),
    ROLLED_BACK(DeployOutcome.ROLLED_BACK),
    FAULT(DeployOutcome.FAILED),
    REFUSED(DeployOutcome.FAILED);

    private final DeployOutcome outcome;

    End(DeployOutcome outcome) {
      this.outcome = outcome;
    }

    DeployOutcome outcome() {
      return outcome;
    }
  }

  /** Exactly one of {@code phase} (go on there) and {@code end} (the deploy is over) is set. */
  record Transition(Phase phase, End end) {
    static Transition to(Phase phase) {
      return new Transition(phase, null);
    }

    static Transition ending(End end) {
      return new Transition(null, end);
    }
  }

  private static final Map<DeployPath, List<Phase>> ORDER =
      new EnumMap<>(
          Map.of(
              DeployPath.STOP_FIRST,
              List.of(
                  Phase.PULL,
                  Phase.RUN_ONCE,
                  Phase.GATE,
                  Phase.DEREGISTER,
                  Phase.STOP,
                  Phase.START,
                  Phase.HEALTH,
                  Phase.REGISTER,
                  Phase.COMMIT),
              // The new container serves on the second port before the old one leaves: capacity
              // never dips.
              DeployPath.START_FIRST,
              List.of(
                  Phase.PULL,
                  Phase.RUN_ONCE,
                  Phase.GATE,
                  Phase.START,
                  Phase.HEALTH,
                  Phase.REGISTER,
                  Phase.DEREGISTER,
                  Phase.STOP,
                  Phase.COMMIT),
              // The same container again: nothing to pull, and a dead container holds no capacity.
              DeployPath.RESTART,
              List.of(Phase.START, Phase.HEALTH, Phase.REGISTER)));

  /** The phase a deploy along {@code path} starts in. */
  static Phase first(DeployPath path) {
    return ORDER.get(path).get(0);
  }

  /** The phases of {@code path} in order (without ROLLBACK and RESTORE). */
  static List<Phase> phases(DeployPath path) {
    return ORDER.get(path);
  }

  /**
   * Where a deploy along {@code path} goes when the step of {@code phase} reports {@code kind}.
   * WAIT stays in the phase.
   *
   * @throws IllegalArgumentException for a combination no step produces (a bug, not a state)
   */
  static Transition next(DeployPath path, Phase phase, Kind kind) {
    if (kind == Kind.WAIT) {
      return Transition.to(phase);
    }
    if (phase == Phase.ROLLBACK || phase == Phase.RESTORE) {
      return switch (kind) {
        case DONE -> Transition.ending(phase == Phase.ROLLBACK ? End.ROLLED_BACK : End.FAULT);
        case FAULT -> Transition.to(phase);
        default -> throw unexpected(path, phase, kind);
      };
    }
    List<Phase> order = ORDER.get(path);
    int at = order.indexOf(phase);
    if (at < 0) {
      throw unexpected(path, phase, kind);
    }
    boolean hostUntouched = phase == Phase.PULL || phase == Phase.RUN_ONCE || phase == Phase.GATE;
    return switch (kind) {
      case DONE ->
          at + 1 < order.size() ? Transition.to(order.get(at + 1)) : Transition.ending(End.SUCCESS);
      case FAULT -> hostUntouched ? Transition.ending(End.FAULT) : Transition.to(Phase.RESTORE);
      case REFUSED -> {
        if (!hostUntouched) {
          throw unexpected(path, phase, kind);
        }
        yield Transition.ending(End.REFUSED);
      }
      case IMAGE_BAD -> {
        if (phase == Phase.RUN_ONCE) {
          // The one-time task failed from the new image: nobody switches, nothing to restore.
          yield Transition.ending(End.ROLLED_BACK);
        }
        if (phase != Phase.HEALTH) {
          throw unexpected(path, phase, kind);
        }
        // A container that was fine before and fails again after a restart says nothing new
        // about its image: the loop decides afresh (and replaces it if it stays unhealthy).
        yield path == DeployPath.RESTART
            ? Transition.to(Phase.RESTORE)
            : Transition.to(Phase.ROLLBACK);
      }
      case WAIT -> Transition.to(phase);
    };
  }

  private static IllegalArgumentException unexpected(DeployPath path, Phase phase, Kind kind) {
    return new IllegalArgumentException(
        "no transition for " + path.label() + " " + phase.label() + " on " + kind);
  }
}
