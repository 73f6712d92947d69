package dev.driftguard.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TableTest {

  @Test
  void render_padsColumnsToTheWidestCell_withoutTrailingBlanks() {
    String table =
        new Table("NAME", "STATE", "NOTE")
            .row("web_staging", "ok", "")
            .row("w", null, "long note")
            .render();

    assertThat(table)
        .isEqualTo(
            """
            NAME         STATE  NOTE
            web_staging  ok     -
            w            -      long note
            """);
  }

  @Test
  void row_withTheWrongNumberOfCells_isABug() {
    assertThatThrownBy(() -> new Table("A", "B").row("only one"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
