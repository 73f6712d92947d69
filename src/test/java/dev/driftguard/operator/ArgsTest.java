package dev.driftguard.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ArgsTest {
  private static final Set<String> FLAGS = Set.of("--dry-run", "--no-verify", "--help");
  private static final Set<String> VALUED = Set.of("--config", "--region");

  @Test
  void parse_flagsValuesAndPositionalsInAnyOrder() {
    Args args =
        Args.parse(
            List.of("--dry-run", "web", "--region=eu-west-1", "img", "--config", "c.yaml"),
            FLAGS,
            VALUED);

    assertThat(args.positionals()).containsExactly("web", "img");
    assertThat(args.flag("--dry-run")).isTrue();
    assertThat(args.flag("--no-verify")).isFalse();
    assertThat(args.value("--region")).contains("eu-west-1");
    assertThat(args.value("--config")).contains("c.yaml");
  }

  @Test
  void parse_unknownOptionCloseToAKnownOne_suggestsIt() {
    assertThatThrownBy(() -> Args.parse(List.of("web", "--dryrun"), FLAGS, VALUED))
        .isInstanceOf(UsageException.class)
        .hasMessage("unknown option --dryrun; did you mean --dry-run?");
    assertThatThrownBy(() -> Args.parse(List.of("--regoin=x"), FLAGS, VALUED))
        .hasMessage("unknown option --regoin; did you mean --region?");
  }

  @Test
  void parse_unknownOptionFarFromEveryKnownOne_namesOnlyIt() {
    assertThatThrownBy(() -> Args.parse(List.of("--force"), FLAGS, VALUED))
        .isInstanceOf(UsageException.class)
        .hasMessage("unknown option --force");
  }

  @Test
  void parse_valuedOptionAtTheEnd_needsAValue() {
    assertThatThrownBy(() -> Args.parse(List.of("web", "--region"), FLAGS, VALUED))
        .hasMessage("--region needs a value");
  }
}
