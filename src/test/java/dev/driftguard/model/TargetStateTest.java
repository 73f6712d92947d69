package dev.driftguard.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TargetStateTest {

  @ParameterizedTest(name = "{0} ({1}) -> {2}")
  @CsvSource(
      nullValues = "null",
      value = {
        "initial, Elb.RegistrationInProgress, INITIAL, true",
        "healthy, null, HEALTHY, true",
        "unhealthy, Target.Timeout, UNHEALTHY, true",
        "draining, Target.DeregistrationInProgress, DRAINING, false",
        "unhealthy.draining, null, DRAINING, false",
        "unused, Target.NotRegistered, NOT_REGISTERED, false",
        "unused, Target.NotInUse, UNUSED, false",
        "unused, Target.InvalidState, UNUSED, false",
        "unavailable, null, UNAVAILABLE, true",
        "something-new, null, UNAVAILABLE, true",
        "null, null, UNAVAILABLE, true"
      })
  void fromElbv2_coversEveryElbv2State_andSaysWhatIsInService(
      String word, String reason, TargetState expected, boolean inService) {
    TargetState state = TargetState.fromElbv2(word, reason);
    assertThat(state).isEqualTo(expected);
    assertThat(state.inService()).isEqualTo(inService);
  }
}
