package dev.driftguard.reconcile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftguard.model.DeployPath;
import dev.driftguard.model.Phase;
import dev.driftguard.reconcile.DeployTable.End;
import dev.driftguard.reconcile.DeployTable.Transition;
import dev.driftguard.reconcile.StepOutcome.Kind;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class DeployTableTest {

  static Stream<Arguments> rows() {
    DeployPath stop = DeployPath.STOP_FIRST;
    DeployPath start = DeployPath.START_FIRST;
    DeployPath restart = DeployPath.RESTART;
    return Stream.of(
        // stop-first, the happy path
        Arguments.of(stop, Phase.PULL, Kind.DONE, Transition.to(Phase.RUN_ONCE)),
        Arguments.of(stop, Phase.RUN_ONCE, Kind.DONE, Transition.to(Phase.GATE)),
        Arguments.of(start, Phase.RUN_ONCE, Kind.DONE, Transition.to(Phase.GATE)),
        // the rollout's one-time task failing is evidence against the image, before anything
        // changed
        Arguments.of(stop, Phase.RUN_ONCE, Kind.IMAGE_BAD, Transition.ending(End.ROLLED_BACK)),
        Arguments.of(stop, Phase.RUN_ONCE, Kind.FAULT, Transition.ending(End.FAULT)),
        Arguments.of(stop, Phase.RUN_ONCE, Kind.WAIT, Transition.to(Phase.RUN_ONCE)),
        Arguments.of(stop, Phase.GATE, Kind.DONE, Transition.to(Phase.DEREGISTER)),
        Arguments.of(stop, Phase.DEREGISTER, Kind.DONE, Transition.to(Phase.STOP)),
        Arguments.of(stop, Phase.STOP, Kind.DONE, Transition.to(Phase.START)),
        Arguments.of(stop, Phase.START, Kind.DONE, Transition.to(Phase.HEALTH)),
        Arguments.of(stop, Phase.HEALTH, Kind.DONE, Transition.to(Phase.REGISTER)),
        Arguments.of(stop, Phase.REGISTER, Kind.DONE, Transition.to(Phase.COMMIT)),
        Arguments.of(stop, Phase.COMMIT, Kind.DONE, Transition.ending(End.SUCCESS)),
        // a fault before the host changed ends the attempt; after, the previous container comes
        // back
        Arguments.of(stop, Phase.PULL, Kind.FAULT, Transition.ending(End.FAULT)),
        Arguments.of(stop, Phase.GATE, Kind.FAULT, Transition.ending(End.FAULT)),
        Arguments.of(stop, Phase.DEREGISTER, Kind.FAULT, Transition.to(Phase.RESTORE)),
        Arguments.of(stop, Phase.STOP, Kind.FAULT, Transition.to(Phase.RESTORE)),
        Arguments.of(stop, Phase.START, Kind.FAULT, Transition.to(Phase.RESTORE)),
        Arguments.of(stop, Phase.HEALTH, Kind.FAULT, Transition.to(Phase.RESTORE)),
        Arguments.of(stop, Phase.REGISTER, Kind.FAULT, Transition.to(Phase.RESTORE)),
        // only HEALTH's evidence condemns the image
        Arguments.of(stop, Phase.HEALTH, Kind.IMAGE_BAD, Transition.to(Phase.ROLLBACK)),
        Arguments.of(stop, Phase.PULL, Kind.REFUSED, Transition.ending(End.REFUSED)),
        Arguments.of(stop, Phase.GATE, Kind.REFUSED, Transition.ending(End.REFUSED)),
        // waits stay; restore and rollback end only when done, and retry their own faults
        Arguments.of(stop, Phase.GATE, Kind.WAIT, Transition.to(Phase.GATE)),
        Arguments.of(stop, Phase.RESTORE, Kind.WAIT, Transition.to(Phase.RESTORE)),
        Arguments.of(stop, Phase.RESTORE, Kind.FAULT, Transition.to(Phase.RESTORE)),
        Arguments.of(stop, Phase.RESTORE, Kind.DONE, Transition.ending(End.FAULT)),
        Arguments.of(stop, Phase.ROLLBACK, Kind.FAULT, Transition.to(Phase.ROLLBACK)),
        Arguments.of(stop, Phase.ROLLBACK, Kind.DONE, Transition.ending(End.ROLLED_BACK)),
        // start-first: the new container serves before the old one leaves
        Arguments.of(start, Phase.GATE, Kind.DONE, Transition.to(Phase.START)),
        Arguments.of(start, Phase.REGISTER, Kind.DONE, Transition.to(Phase.DEREGISTER)),
        Arguments.of(start, Phase.DEREGISTER, Kind.DONE, Transition.to(Phase.STOP)),
        Arguments.of(start, Phase.STOP, Kind.DONE, Transition.to(Phase.COMMIT)),
        Arguments.of(start, Phase.HEALTH, Kind.IMAGE_BAD, Transition.to(Phase.ROLLBACK)),
        Arguments.of(start, Phase.DEREGISTER, Kind.FAULT, Transition.to(Phase.RESTORE)),
        // restart: no pull, no turn, no commit; a failing restart condemns nothing
        Arguments.of(restart, Phase.START, Kind.DONE, Transition.to(Phase.HEALTH)),
        Arguments.of(restart, Phase.REGISTER, Kind.DONE, Transition.ending(End.SUCCESS)),
        Arguments.of(restart, Phase.HEALTH, Kind.IMAGE_BAD, Transition.to(Phase.RESTORE)),
        Arguments.of(restart, Phase.START, Kind.FAULT, Transition.to(Phase.RESTORE)));
  }

  @ParameterizedTest(name = "{0} {1} on {2} -> {3}")
  @MethodSource("rows")
  void next_followsTheTable(DeployPath path, Phase phase, Kind kind, Transition expected) {
    assertThat(DeployTable.next(path, phase, kind)).isEqualTo(expected);
  }

  @ParameterizedTest
  @EnumSource(DeployPath.class)
  void everyPath_reachesSuccessByDone_fromItsFirstPhase(DeployPath path) {
    Phase phase = DeployTable.first(path);
    int steps = 0;
    Transition t;
    do {
      t = DeployTable.next(path, phase, Kind.DONE);
      phase = t.phase();
      steps++;
    } while (t.end() == null);
    assertThat(t.end()).isEqualTo(End.SUCCESS);
    assertThat(steps).isEqualTo(DeployTable.phases(path).size());
  }

  @ParameterizedTest
  @EnumSource(DeployPath.class)
  void noFault_everCondemnsTheDigest(DeployPath path) {
    for (Phase phase : DeployTable.phases(path)) {
      Transition t = DeployTable.next(path, phase, Kind.FAULT);
      assertThat(t.phase()).isNotEqualTo(Phase.ROLLBACK);
      assertThat(t.end()).isNotEqualTo(End.ROLLED_BACK);
    }
  }

  @Test
  void impossibleCombinations_areBugs_notStates() {
    for (Phase phase : List.of(Phase.PULL, Phase.START, Phase.REGISTER)) {
      assertThatThrownBy(() -> DeployTable.next(DeployPath.STOP_FIRST, phase, Kind.IMAGE_BAD))
          .isInstanceOf(IllegalArgumentException.class);
    }
    assertThatThrownBy(() -> DeployTable.next(DeployPath.STOP_FIRST, Phase.START, Kind.REFUSED))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> DeployTable.next(DeployPath.RESTART, Phase.PULL, Kind.DONE))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
