package dev.driftguard.host;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The self-report of {@code agent.selfReport}: when the host could serve nothing for {@code
 * unhealthyAfter}, it marks itself Unhealthy in its Auto Scaling group ({@link
 * HostHealthReporter}), once, so the group replaces it.
 *
 * <p>What to do is decided by {@link #decide}, a pure function of what was seen before, whether the
 * host serves now, and the time; this class only keeps the state between calls, calls the reporter
 * and logs. A report that fails for a reason that may pass (throttling, the group's grace period, a
 * permission granted later) is tried again at most every {@link #RETRY_EVERY}; one that cannot
 * succeed (the instance is in no group) is given up, with one log line.
 *
 * <p>The loop calls {@link #observe} once per tick; it never throws.
 */
public final class SelfReport implements ServingObserver {
  private static final Logger logger = LoggerFactory.getLogger(SelfReport.class);

  /** Between attempts whose failure may pass. Well inside Auto Scaling's API rate limits. */
  public static final Duration RETRY_EVERY = Duration.ofMinutes(1);

  /** Where the self-report stands. */
  public enum Outcome {
    /** Watching whether the host serves; nothing reported (yet). */
    WATCHING,
    /** The group was told; nothing more to do in this process. */
    REPORTED,
    /** The report cannot succeed (the instance is in no group); nothing more to do. */
    GAVE_UP
  }

  /**
   * What the self-report knows between observations.
   *
   * @param nothingServingSince when the host last went from serving to serving nothing; null while
   *     it serves
   * @param lastAttempt the last report tried while nothing served; null when none was
   * @param outcome where it stands
   */
  public record State(Instant nothingServingSince, Instant lastAttempt, Outcome outcome) {
    public static final State INITIAL = new State(null, null, Outcome.WATCHING);

    public State {
      Objects.requireNonNull(outcome, "outcome");
    }

    State with(Outcome next) {
      return new State(nothingServingSince, lastAttempt, next);
    }
  }

  /** The next state, and whether to report now. */
  public record Decision(State next, boolean report) {}

  private final Duration unhealthyAfter;
  private final HostHealthReporter reporter;
  private State state = State.INITIAL;
  private String lastFailureCode;

  /**
   * @param unhealthyAfter how long the host may serve nothing ({@code
   *     agent.selfReport.unhealthyAfter})
   */
  public SelfReport(Duration unhealthyAfter, HostHealthReporter reporter) {
    if (unhealthyAfter == null || unhealthyAfter.isZero() || unhealthyAfter.isNegative()) {
      throw new IllegalArgumentException("unhealthyAfter must be positive, got " + unhealthyAfter);
    }
    this.unhealthyAfter = unhealthyAfter;
    this.reporter = Objects.requireNonNull(reporter, "reporter");
  }

  /**
   * Pure: report once the host has served nothing for {@code unhealthyAfter} without a break, then
   * never again; a failed attempt is retried {@link #RETRY_EVERY} later. Serving again starts the
   * count over.
   */
  public static Decision decide(
      State state, boolean serving, Instant now, Duration unhealthyAfter) {
    if (state.outcome() != Outcome.WATCHING) {
      return new Decision(state, false);
    }
    if (serving) {
      return new Decision(State.INITIAL, false);
    }
    Instant since = state.nothingServingSince() == null ? now : state.nothingServingSince();
    boolean overdue = !now.isBefore(since.plus(unhealthyAfter));
    boolean retryDue =
        state.lastAttempt() == null || !now.isBefore(state.lastAttempt().plus(RETRY_EVERY));
    if (overdue && retryDue) {
      return new Decision(new State(since, now, Outcome.WATCHING), true);
    }
    return new Decision(new State(since, state.lastAttempt(), Outcome.WATCHING), false);
  }

  @Override
  public synchronized void observe(boolean serving, Instant now) {
    State before = state;
    Decision decision = decide(before, serving, now, unhealthyAfter);
    state = decision.next();
    if (before.outcome() == Outcome.WATCHING) {
      logTransition(before, state);
    }
    if (decision.report()) {
      report(now);
    }
  }

  /** Where the self-report stands, for status and tests. */
  public synchronized State state() {
    return state;
  }

  /** Since when the host serves nothing; empty while it serves. */
  public synchronized Optional<Instant> nothingServingSince() {
    return Optional.ofNullable(state.nothingServingSince());
  }

  private void logTransition(State before, State after) {
    if (before.nothingServingSince() == null && after.nothingServingSince() != null) {
      logger.warn(
          "this host serves nothing (no service has a healthy container); it marks itself"
              + " Unhealthy in its Auto Scaling group at {} unless a service recovers first",
          after.nothingServingSince().plus(unhealthyAfter));
    } else if (before.nothingServingSince() != null && after.nothingServingSince() == null) {
      logger.info(
          "this host serves again; no self-report [since={}]", before.nothingServingSince());
    }
  }

  private void report(Instant now) {
    try {
      reporter.reportUnhealthy();
    } catch (HostHealthReportException e) {
      if (e.permanent()) {
        state = state.with(Outcome.GAVE_UP);
        logger.warn("{}; not trying again", e.getMessage());
      } else {
        failed(e.code(), e.getMessage());
      }
      return;
    } catch (RuntimeException e) {
      // The reporter's own bug must not stop the loop: treat it as a failure that may pass.
      failed(e.getClass().getSimpleName(), String.valueOf(e.getMessage()));
      return;
    }
    state = state.with(Outcome.REPORTED);
    logger.warn(
        "marked this instance Unhealthy in its Auto Scaling group: it served nothing since {} ({}"
            + " or more); the group replaces it",
        state.nothingServingSince(),
        unhealthyAfter);
  }

  /** Logs a failure once per error code (again only when the code changes). */
  private void failed(String code, String message) {
    if (!code.equals(lastFailureCode)) {
      logger.warn("the self-report failed, trying again every {}: {}", RETRY_EVERY, message);
      lastFailureCode = code;
    } else {
      logger.debug("the self-report failed again: {}", message);
    }
  }
}
