package dev.driftguard.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftguard.fleet.FleetCoordinator.PeerTarget;
import dev.driftguard.model.TargetState;
import java.util.List;
import org.junit.jupiter.api.Test;

class CensusTextTest {

  @Test
  void everyStateReadsBackAsWritten() {
    List<PeerTarget> targets =
        java.util.Arrays.stream(TargetState.values())
            .map(s -> new PeerTarget("i-0" + s.ordinal(), 8080 + s.ordinal(), s))
            .toList();

    assertThat(CensusText.parse(CensusText.format(targets))).contains(targets);
  }

  @Test
  void anEmptyGroup_isAnEmptyCensus() {
    assertThat(CensusText.parse(CensusText.format(List.of()))).contains(List.of());
  }

  @Test
  void textThatIsNoCensus_isNone_neverAPartialGroup() {
    assertThat(CensusText.parse("i-0a 8080 healthy\ni-0b 8080\n")).isEmpty();
    assertThat(CensusText.parse("i-0a eighty healthy\n")).isEmpty();
    assertThat(CensusText.parse("i-0a 8080 sleeping\n")).isEmpty();
  }
}
