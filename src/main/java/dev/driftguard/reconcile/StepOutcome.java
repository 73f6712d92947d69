package dev.driftguard.reconcile;

import java.time.Duration;

/**
 * What one run of a deploy step found. The {@link DeployTable} turns it into the next phase; only
 * {@link ImageBad} is evidence against the image, everything a dependency does wrong is a {@link
 * Fault} (DESIGN 3: a fault is never a verdict).
 */
sealed interface StepOutcome {

  /** The kinds the transition table is keyed on. */
  enum Kind {
    DONE,
    WAIT,
    IMAGE_BAD,
    FAULT,
    REFUSED
  }

  Kind kind();

  /** The step finished its work. */
  record Done() implements StepOutcome {
    @Override
    public Kind kind() {
      return Kind.DONE;
    }
  }

  /** Not yet: run the same step again after {@code delay} (a poll, never a sleep). */
  record Wait(Duration delay) implements StepOutcome {
    @Override
    public Kind kind() {
      return Kind.WAIT;
    }
  }

  /** The new container failed its health check or exited within HEALTH: the image is bad. */
  record ImageBad(String why) implements StepOutcome {
    @Override
    public Kind kind() {
      return Kind.IMAGE_BAD;
    }
  }

  /** The host or a dependency failed (engine, registry, AWS, disk, port clash): no verdict. */
  record Fault(String why) implements StepOutcome {
    @Override
    public Kind kind() {
      return Kind.FAULT;
    }
  }

  /** The circuit breaker: a peer rolled this digest back, so this host does not try it. */
  record Refused(String why) implements StepOutcome {
    @Override
    public Kind kind() {
      return Kind.REFUSED;
    }
  }

  static StepOutcome done() {
    return new Done();
  }

  static StepOutcome waitFor(Duration delay) {
    return new Wait(delay.isNegative() ? Duration.ZERO : delay);
  }
}
