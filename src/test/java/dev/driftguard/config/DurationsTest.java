package dev.driftguard.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftguard.model.InvalidValueException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsTest {

  @Test
  void parse_eachUnit_reads() {
    assertThat(Durations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(Durations.parse("15s")).isEqualTo(Duration.ofSeconds(15));
    assertThat(Durations.parse("2m")).isEqualTo(Duration.ofMinutes(2));
    assertThat(Durations.parse("1h")).isEqualTo(Duration.ofHours(1));
    assertThat(Durations.parse("0s")).isEqualTo(Duration.ZERO);
  }

  @Test
  void parse_combination_addsUp() {
    assertThat(Durations.parse("1m30s")).isEqualTo(Duration.ofSeconds(90));
    assertThat(Durations.parse("1h2m3s4ms")).isEqualTo(Duration.ofMillis(3_723_004));
  }

  @Test
  void parse_whenPlainNumber_suggestsUnit() {
    assertThatThrownBy(() -> Durations.parse("30"))
        .isInstanceOf(InvalidValueException.class)
        .hasMessage("'30' has no unit (write 30s or 30ms)");
  }

  @Test
  void parse_whenMalformed_explainsFormat() {
    for (String bad : new String[] {"15x", "", "1.5s", "s", "30s1m", "-1s", "1 s", "2d"}) {
      assertThatThrownBy(() -> Durations.parse(bad))
          .as(bad)
          .isInstanceOf(InvalidValueException.class)
          .hasMessageEndingWith("is not a duration (use 500ms, 15s, 2m, 1h)");
    }
  }

  @Test
  void format_roundTrips() {
    for (String text : new String[] {"0s", "500ms", "15s", "1m30s", "2h", "1h1ms"}) {
      assertThat(Durations.format(Durations.parse(text))).isEqualTo(text);
    }
  }
}
