package dev.driftguard.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SpellingTest {
  private static final List<String> WORDS =
      List.of("run", "once", "validate", "rollout-status", "--help", "--config");

  /** Within two edits, with leading dashes and case ignored; an empty guess means none is close. */
  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "valdate, validate",
    "rollout-staus, rollout-status",
    "onec, once",
    "helo, --help",
    "-config, --config",
    "--RUN, run",
    "deploy, ''",
    "valid, ''",
  })
  void closest(String typed, String guess) {
    assertThat(Spelling.closest(typed, WORDS).orElse("")).isEqualTo(guess);
  }

  @Test
  void closest_prefersTheNearest_thenTheFirstInOrder() {
    assertThat(Spelling.closest("pinn", List.of("pinned", "pin"))).contains("pin");
    assertThat(Spelling.closest("ab", List.of("a", "b"))).contains("a");
    assertThat(Spelling.closest("ab", List.of("b", "a"))).contains("b");
  }

  @Test
  void didYouMean_endsAnErrorLine_orIsEmpty() {
    assertThat(Spelling.didYouMean("helo", WORDS)).isEqualTo("; did you mean --help?");
    assertThat(Spelling.didYouMean("deploy", WORDS)).isEmpty();
  }
}
