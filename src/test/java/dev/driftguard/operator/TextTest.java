package dev.driftguard.operator;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class TextTest {
  private static final Instant NOW = Instant.parse("2024-05-01T12:00:00Z");

  @Test
  void shortDigest_showsTwelveHexCharacters() {
    assertThat(Text.shortDigest("sha256:" + "ab12cd34ef56".repeat(5) + "0123"))
        .isEqualTo("ab12cd34ef56");
    assertThat(Text.shortDigest(null)).isEqualTo("-");
    assertThat(Text.shortDigest("")).isEqualTo("-");
    assertThat(Text.shortDigest("garbage")).isEqualTo("garbage");
  }

  @Test
  void age_isCompactAndNeverNegative() {
    assertThat(Text.age(NOW.minusSeconds(45), NOW)).isEqualTo("45s ago");
    assertThat(Text.age(NOW.minusSeconds(125), NOW)).isEqualTo("2m5s ago");
    assertThat(Text.age(NOW.minusSeconds(3600 + 300), NOW)).isEqualTo("1h5m ago");
    assertThat(Text.age(NOW.minus(Duration.ofDays(3).plusHours(4)), NOW)).isEqualTo("3d4h ago");
    assertThat(Text.age(NOW.plusSeconds(30), NOW)).isEqualTo("just now");
    assertThat(Text.age(null, NOW)).isEqualTo("-");
  }

  @Test
  void seconds_keepsATenthUnderAMinute() {
    assertThat(Text.seconds(12.34)).isEqualTo("12.3s");
    assertThat(Text.seconds(95)).isEqualTo("1m35s");
  }

  @Test
  void instant_isNullWhenAbsentOrUnreadable() {
    assertThat(Text.instant("2024-05-01T12:00:00Z")).isEqualTo(NOW);
    assertThat(Text.instant("")).isNull();
    assertThat(Text.instant("yesterday")).isNull();
  }

  @Test
  void shellWord_quotesOnlyWhatNeedsIt() {
    assertThat(Text.shellWord("reg.example/web:v1@sha256:ab"))
        .isEqualTo("reg.example/web:v1@sha256:ab");
    assertThat(Text.shellWord("it's here")).isEqualTo("'it'\\''s here'");
  }
}
