package dev.driftguard.operator;

import static dev.driftguard.operator.Fakes.digest;
import static org.assertj.core.api.Assertions.assertThat;

import dev.driftguard.model.Digest;
import dev.driftguard.operator.RolloutSummary.Progress;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class RolloutSummaryTest {
  private static final Digest NEW = Digest.parse(digest('b'));
  private static final String OLD = digest('a');
  private static final Instant NOW = Instant.parse("2024-05-01T12:00:00Z");

  private static HostState host(String id, String running, String phase, String failed) {
    return new HostState(id, running, phase, "success", failed, NOW.minusSeconds(30));
  }

  @Test
  void classify_idleOnTheDesiredDigest_isOnDesired() {
    assertThat(RolloutSummary.classify(host("i-1", NEW.value(), "idle", null), NEW))
        .isEqualTo(Progress.ON_DESIRED);
  }

  @Test
  void classify_anyPhaseButIdle_isInProgress_evenWhenTheNewDigestRunsAlready() {
    assertThat(RolloutSummary.classify(host("i-1", OLD, "pull", null), NEW))
        .isEqualTo(Progress.IN_PROGRESS);
    assertThat(RolloutSummary.classify(host("i-1", NEW.value(), "register", null), NEW))
        .isEqualTo(Progress.IN_PROGRESS);
  }

  @Test
  void classify_failedDigestIsTheDesiredOne_isRolledBack_whateverTheHostDoesNow() {
    assertThat(RolloutSummary.classify(host("i-1", OLD, "idle", NEW.value()), NEW))
        .isEqualTo(Progress.ROLLED_BACK);
    assertThat(RolloutSummary.classify(host("i-1", OLD, "rollback", NEW.value()), NEW))
        .isEqualTo(Progress.ROLLED_BACK);
  }

  @Test
  void classify_idleElsewhere_orAnOlderFailure_isBehind() {
    assertThat(RolloutSummary.classify(host("i-1", OLD, "idle", null), NEW))
        .isEqualTo(Progress.BEHIND);
    assertThat(RolloutSummary.classify(host("i-1", OLD, "idle", digest('c')), NEW))
        .isEqualTo(Progress.BEHIND);
    assertThat(RolloutSummary.classify(host("i-1", null, null, null), NEW))
        .isEqualTo(Progress.BEHIND);
  }

  @Test
  void converged_onlyWhenEveryHostIsOnDesired_andThereIsAHost() {
    assertThat(new RolloutSummary("web", NEW, List.of()).converged()).isFalse();
    assertThat(
            new RolloutSummary(
                    "web",
                    NEW,
                    List.of(
                        host("i-1", NEW.value(), "idle", null),
                        host("i-2", NEW.value(), "idle", null)))
                .converged())
        .isTrue();
    assertThat(
            new RolloutSummary(
                    "web",
                    NEW,
                    List.of(host("i-1", NEW.value(), "idle", null), host("i-2", OLD, "idle", null)))
                .converged())
        .isFalse();
  }

  @Test
  void line_countsEveryProgress() {
    RolloutSummary summary =
        new RolloutSummary(
            "web",
            NEW,
            List.of(
                host("i-1", NEW.value(), "idle", null),
                host("i-2", OLD, "health", null),
                host("i-3", OLD, "idle", NEW.value()),
                host("i-4", OLD, "idle", null)));

    assertThat(summary.line())
        .isEqualTo(
            "web: 4 hosts: 1 on desired, 1 in progress, 1 rolled back, 1 behind (desired"
                + " bbbbbbbbbbbb)");
    assertThat(summary.rolledBack()).isTrue();
    assertThat(summary.rollbackLines())
        .singleElement()
        .asString()
        .startsWith("i-3 rolled back " + NEW.value());
  }

  @Test
  void line_withoutHosts_namesTheTagItLookedFor() {
    assertThat(new RolloutSummary("web", NEW, List.of()).line())
        .contains("no running instance publishes state")
        .contains("driftguard:web:running");
  }

  @Test
  void table_hasOneRowPerHost() {
    String table =
        new RolloutSummary("web", NEW, List.of(host("i-0abc", NEW.value(), "idle", null)))
            .table(NOW);

    assertThat(table)
        .isEqualTo(
            """
            INSTANCE  RUNNING       PHASE  OUTCOME  UPDATED  STATE
            i-0abc    bbbbbbbbbbbb  idle   success  30s ago  on desired
            """);
  }
}
