package dev.driftguard.host;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftguard.host.SelfReport.Decision;
import dev.driftguard.host.SelfReport.Outcome;
import dev.driftguard.host.SelfReport.State;
import dev.driftguard.testing.LogCapture;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import org.junit.jupiter.api.Test;

class SelfReportTest {
  private static final Duration AFTER = Duration.ofMinutes(15);
  private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");

  private static Instant at(int minutes) {
    return T0.plus(Duration.ofMinutes(minutes));
  }

  private static State nothingSince(int minutes) {
    return new State(at(minutes), null, Outcome.WATCHING);
  }

  // --- the pure decision, as a table -----------------------------------------------------------

  @Test
  void decide_table() {
    record Row(String why, State state, boolean serving, Instant now, boolean report, State next) {}
    Row[] rows = {
      new Row("serving: nothing to do", State.INITIAL, true, at(0), false, State.INITIAL),
      new Row(
          "first time serving nothing: the count starts",
          State.INITIAL,
          false,
          at(3),
          false,
          nothingSince(3)),
      new Row(
          "still nothing, not long enough", nothingSince(3), false, at(17), false, nothingSince(3)),
      new Row(
          "nothing for exactly unhealthyAfter: report",
          nothingSince(3),
          false,
          at(18),
          true,
          new State(at(3), at(18), Outcome.WATCHING)),
      new Row(
          "serving again before the time: the count starts over",
          nothingSince(3),
          true,
          at(17),
          false,
          State.INITIAL),
      new Row(
          "a failed attempt is not retried within a minute",
          new State(at(3), at(18), Outcome.WATCHING),
          false,
          at(18).plusSeconds(59),
          false,
          new State(at(3), at(18), Outcome.WATCHING)),
      new Row(
          "a failed attempt is retried a minute later",
          new State(at(3), at(18), Outcome.WATCHING),
          false,
          at(19),
          true,
          new State(at(3), at(19), Outcome.WATCHING)),
      new Row(
          "serving after a failed attempt: the count starts over",
          new State(at(3), at(18), Outcome.WATCHING),
          true,
          at(19),
          false,
          State.INITIAL),
      new Row(
          "reported: never again, whatever happens",
          new State(at(3), at(18), Outcome.REPORTED),
          false,
          at(60),
          false,
          new State(at(3), at(18), Outcome.REPORTED)),
      new Row(
          "reported, then serving: still done",
          new State(at(3), at(18), Outcome.REPORTED),
          true,
          at(60),
          false,
          new State(at(3), at(18), Outcome.REPORTED)),
      new Row(
          "gave up: never again",
          new State(at(3), at(18), Outcome.GAVE_UP),
          false,
          at(60),
          false,
          new State(at(3), at(18), Outcome.GAVE_UP)),
    };
    for (Row row : rows) {
      Decision d = SelfReport.decide(row.state(), row.serving(), row.now(), AFTER);
      assertThat(d.report()).as(row.why()).isEqualTo(row.report());
      assertThat(d.next()).as(row.why()).isEqualTo(row.next());
    }
  }

  // --- the stateful wrapper over a fake reporter ----------------------------------------------

  /** Our own port, faked: each call takes the next prepared answer (null: success). */
  private static final class FakeReporter implements HostHealthReporter {
    final Deque<RuntimeException> answers = new ArrayDeque<>();
    int calls;

    @Override
    public void reportUnhealthy() {
      calls++;
      RuntimeException answer = answers.poll();
      if (answer != null) {
        throw answer;
      }
    }
  }

  private static HostHealthReportException failure(String code, boolean permanent) {
    return new HostHealthReportException(
        "Auto Scaling SetInstanceHealth failed: " + code, code, false, permanent, null);
  }

  /** Observes nothing-serving every 30 s from minute {@code from} to {@code to}. */
  private static void nothingServing(SelfReport report, int from, int to) {
    for (Instant t = at(from); !t.isAfter(at(to)); t = t.plusSeconds(30)) {
      report.observe(false, t);
    }
  }

  @Test
  void observe_reportsOnceAfterUnhealthyAfter_andNeverAgain() {
    FakeReporter reporter = new FakeReporter();
    SelfReport report = new SelfReport(AFTER, reporter);

    nothingServing(report, 0, 14);
    assertThat(reporter.calls).isZero();
    nothingServing(report, 15, 60);

    assertThat(reporter.calls).isEqualTo(1);
    assertThat(report.state().outcome()).isEqualTo(Outcome.REPORTED);
  }

  @Test
  void observe_servingInBetween_startsTheCountOver() {
    FakeReporter reporter = new FakeReporter();
    SelfReport report = new SelfReport(AFTER, reporter);

    nothingServing(report, 0, 14);
    report.observe(true, at(14).plusSeconds(45));
    nothingServing(report, 15, 29);

    assertThat(reporter.calls).isZero();
    assertThat(report.nothingServingSince()).contains(at(15));
    nothingServing(report, 30, 30);
    assertThat(reporter.calls).isEqualTo(1);
  }

  @Test
  void observe_failureThatMayPass_isRetriedEveryMinute_untilItGoesThrough() {
    FakeReporter reporter = new FakeReporter();
    reporter.answers.add(failure("Throttling", false));
    reporter.answers.add(failure("ValidationError", false)); // still in the grace period
    reporter.answers.add(new IllegalStateException("a bug in the reporter"));
    SelfReport report = new SelfReport(AFTER, reporter);

    try (LogCapture log = LogCapture.of(SelfReport.class)) {
      nothingServing(report, 0, 20);

      // at 15, 16, 17 (failed) and 18 (went through); none after
      assertThat(reporter.calls).isEqualTo(4);
      assertThat(report.state().outcome()).isEqualTo(Outcome.REPORTED);
      assertThat(log.at("WARN"))
          .anyMatch(l -> l.contains("marks itself Unhealthy") && l.contains(at(15).toString()))
          .anyMatch(l -> l.contains("marked this instance Unhealthy"))
          .filteredOn(l -> l.startsWith("the self-report failed"))
          .hasSize(3);
    }
  }

  @Test
  void observe_sameFailureAgain_isWarnedOnce() {
    FakeReporter reporter = new FakeReporter();
    for (int i = 0; i < 5; i++) {
      reporter.answers.add(failure("AccessDenied", false));
    }
    SelfReport report = new SelfReport(AFTER, reporter);

    try (LogCapture log = LogCapture.of(SelfReport.class)) {
      nothingServing(report, 0, 19);

      assertThat(reporter.calls).isEqualTo(5);
      assertThat(log.at("WARN")).filteredOn(l -> l.startsWith("the self-report failed")).hasSize(1);
    }
  }

  @Test
  void observe_permanentFailure_givesUpWithOneLine() {
    FakeReporter reporter = new FakeReporter();
    reporter.answers.add(failure("ValidationError", true));
    SelfReport report = new SelfReport(AFTER, reporter);

    try (LogCapture log = LogCapture.of(SelfReport.class)) {
      nothingServing(report, 0, 60);

      assertThat(reporter.calls).isEqualTo(1);
      assertThat(report.state().outcome()).isEqualTo(Outcome.GAVE_UP);
      assertThat(log.at("WARN")).filteredOn(l -> l.endsWith("not trying again")).hasSize(1);
    }
  }

  @Test
  void observe_recovery_isLogged() {
    SelfReport report = new SelfReport(AFTER, new FakeReporter());
    try (LogCapture log = LogCapture.of(SelfReport.class)) {
      report.observe(false, at(0));
      report.observe(true, at(1));

      assertThat(log.at("INFO")).singleElement().asString().contains("serves again");
    }
  }

  @Test
  void none_observesNothing() {
    ServingObserver.NONE.observe(false, at(0));
    ServingObserver.NONE.observe(true, at(1));
  }
}
