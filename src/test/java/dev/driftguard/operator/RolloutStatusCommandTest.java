package dev.driftguard.operator;

import static dev.driftguard.operator.Fakes.ECR;
import static dev.driftguard.operator.Fakes.digest;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RolloutStatusCommandTest {
  private static final String PARAMETER = "/driftguard/web/image";
  private static final ServiceTarget TARGET =
      new ServiceTarget("web", PARAMETER, Set.of(), List.of());
  private static final String OLD = digest('a');
  private static final String NEW = digest('b');
  private static final Instant START = Instant.parse("2024-05-01T12:00:00Z");
  private static final Duration TIMEOUT = Duration.ofMinutes(15);
  private static final Duration INTERVAL = Duration.ofSeconds(10);

  private final Fakes.Parameters parameters =
      new Fakes.Parameters().with(PARAMETER, ECR + "/web:v2@" + NEW);
  private final Fakes.Fleet fleet = new Fakes.Fleet();
  private final Fakes.Time time = new Fakes.Time(START);
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final RolloutStatusCommand command =
      new RolloutStatusCommand(
          parameters,
          fleet,
          time,
          time,
          new PrintStream(out, true, StandardCharsets.UTF_8),
          new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void once_converged_isOk() throws Exception {
    fleet.host("i-1", NEW, "idle", "success", null).host("i-2", NEW, "idle", "success", null);

    assertThat(command.run(TARGET, false, TIMEOUT, INTERVAL)).isEqualTo(Result.OK);

    assertThat(out())
        .contains("desired:   " + ECR + "/web:v2@" + NEW + " (" + PARAMETER + ")")
        .contains("i-1       bbbbbbbbbbbb  idle   success  -        on desired")
        .contains("web: 2 hosts: 2 on desired, 0 in progress, 0 rolled back, 0 behind")
        .contains("converged");
    assertThat(time.sleeps).isEmpty();
  }

  @Test
  void once_inProgressAndBehind_isNotConverged() throws Exception {
    fleet.host("i-1", OLD, "health", null, null).host("i-2", OLD, "idle", "success", null);

    assertThat(command.run(TARGET, false, TIMEOUT, INTERVAL)).isEqualTo(Result.NOT_CONVERGED);

    assertThat(out()).contains("0 on desired, 1 in progress, 0 rolled back, 1 behind");
  }

  @Test
  void once_rolledBack_saysWhere() throws Exception {
    fleet.host("i-1", OLD, "idle", "rolled_back", NEW).host("i-2", NEW, "idle", "success", null);

    assertThat(command.run(TARGET, false, TIMEOUT, INTERVAL)).isEqualTo(Result.ROLLED_BACK);

    assertThat(out()).contains("ROLLED BACK: i-1 rolled back " + NEW);
  }

  @Test
  void wait_followsUntilConverged() throws Exception {
    fleet.host("i-1", OLD, "idle", "success", null).host("i-2", OLD, "idle", "success", null);
    time.onSleep(
        n -> {
          switch (n) {
            case 1 -> fleet.host("i-1", OLD, "pull", null, null);
            case 2 -> fleet.host("i-1", NEW, "health", null, null);
            case 3 ->
                fleet
                    .host("i-1", NEW, "idle", "success", null)
                    .host("i-2", OLD, "gate", null, null);
            case 5 -> fleet.host("i-2", NEW, "idle", "success", null);
            default -> {}
          }
        });

    assertThat(command.run(TARGET, true, TIMEOUT, INTERVAL)).isEqualTo(Result.OK);

    assertThat(time.sleeps).hasSize(5).allMatch(INTERVAL::equals);
    assertThat(fleet.reads).isEqualTo(6);
    assertThat(out())
        .contains("12:00:10Z  i-1  running aaaaaaaaaaaa  phase pull  outcome -  (in progress)")
        .contains("12:00:50Z  web: 2 hosts: 2 on desired")
        .contains("converged: every host runs sha256:bbbbbbbbbbbb after 50s");
  }

  @Test
  void wait_endsAtOnceOnARollbackOfTheDesiredDigest() throws Exception {
    fleet.host("i-1", OLD, "health", null, null);
    time.onSleep(n -> fleet.host("i-1", OLD, "idle", "rolled_back", NEW));

    assertThat(command.run(TARGET, true, TIMEOUT, INTERVAL)).isEqualTo(Result.ROLLED_BACK);

    assertThat(time.sleeps).hasSize(1);
    assertThat(out()).contains("ROLLED BACK: i-1");
  }

  @Test
  void wait_timesOut_readingOnceMoreAtTheDeadline() throws Exception {
    fleet.host("i-1", OLD, "gate", null, null);

    assertThat(command.run(TARGET, true, Duration.ofSeconds(25), INTERVAL))
        .isEqualTo(Result.TIMED_OUT);

    assertThat(time.sleeps).containsExactly(INTERVAL, INTERVAL, Duration.ofSeconds(5));
    assertThat(fleet.reads).isEqualTo(4);
    assertThat(out()).contains("timed out after 25s");
  }

  @Test
  void wait_desiredValueChangedMeanwhile_isAnError() throws Exception {
    fleet.host("i-1", OLD, "idle", null, null);
    time.onSleep(n -> parameters.with(PARAMETER, ECR + "/web@" + digest('c')));

    assertThatThrownBy(() -> command.run(TARGET, true, TIMEOUT, INTERVAL))
        .isInstanceOf(OperatorException.class)
        .hasMessageContaining("the desired value changed while waiting");
  }

  @Test
  void interval_belowFiveSeconds_isRefused() {
    assertThatThrownBy(() -> command.run(TARGET, true, TIMEOUT, Duration.ofSeconds(2)))
        .isInstanceOf(UsageException.class)
        .hasMessageContaining("at least 5s");
  }

  @Test
  void missingOrRejectedDesiredValue_isAnError() {
    parameters.values.clear();
    assertThatThrownBy(() -> command.run(TARGET, false, TIMEOUT, INTERVAL))
        .isInstanceOf(OperatorException.class)
        .hasMessageContaining("does not exist: nothing is pinned for web");

    parameters.with(PARAMETER, ECR + "/web:v2");
    assertThatThrownBy(() -> command.run(TARGET, false, TIMEOUT, INTERVAL))
        .isInstanceOf(OperatorException.class)
        .hasMessageContaining("one the agents reject");
  }
}
