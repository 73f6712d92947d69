package dev.driftguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The man page and bash completion say what --help says, and work in groff and bash. */
class CliDocsTest {
  @TempDir Path dir;

  @Test
  void help_listsEveryCommandAndOptionOfTheTable() {
    String usage = CommandTable.usage();
    CommandTable.COMMANDS.forEach(c -> assertThat(usage).contains("  " + c.name()));
    CommandTable.OPTIONS.forEach(o -> assertThat(usage).contains("  " + o.name()));
    assertThat(usage.lines()).allMatch(line -> line.length() <= 96, "lines of at most 96 columns");
  }

  @Test
  void manPage_rendersWithoutGroffWarnings_andHasEveryCommandAndOption() throws Exception {
    CliDocs.main(new String[] {dir.toString(), "1.2.3"});
    byte[] gz = Files.readAllBytes(dir.resolve("man/driftguard.1.gz"));
    String roff = gunzip(gz);
    assertThat(roff).isEqualTo(CliDocs.manPage("1.2.3"));

    Result rendered = exec(List.of("groff", "-man", "-Tutf8", "-ww", "-z"), roff);
    assertThat(rendered.err()).as("groff warnings").isEmpty();
    String text = exec(List.of("groff", "-man", "-Tascii", "-P", "-cbou"), roff).out();
    CommandTable.COMMANDS.forEach(c -> assertThat(text).contains(c.name()));
    CommandTable.OPTIONS.forEach(o -> assertThat(text).contains(o.name()));
    assertThat(text).contains("--timeout").contains("driftguard 1.2.3").contains("EXIT STATUS");
  }

  @Test
  void gzip_isDeterministicMaximumCompressionWithoutNameOrTime() throws Exception {
    byte[] gz = CliDocs.gzip("hello hello hello".getBytes(StandardCharsets.UTF_8));
    assertThat(gz).startsWith(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 3);
    assertThat(gunzip(gz)).isEqualTo("hello hello hello");
    assertThat(CliDocs.gzip("x".getBytes(StandardCharsets.UTF_8)))
        .isEqualTo(CliDocs.gzip("x".getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void bashCompletion_completesCommandsOptionsAndValues() throws Exception {
    CliDocs.main(new String[] {dir.toString(), "1.2.3"});
    Path script = dir.resolve("bash-completion/driftguard");
    assertThat(complete(script, "driftguard", "ro")).containsExactly("rollout-status");
    assertThat(complete(script, "driftguard", "--v")).containsExactly("--version");
    assertThat(complete(script, "driftguard", "--log-format", "j")).containsExactly("json");
    assertThat(complete(script, "driftguard", "--config", "x.yaml", "val"))
        .containsExactly("validate");
    assertThat(complete(script, "driftguard", "rollout-status", "web", "--t"))
        .containsExactly("--timeout");
    assertThat(complete(script, "driftguard", "pin", "--d")).containsExactly("--dry-run");
    assertThat(complete(script, "driftguard", "validate", "--c")).containsExactly("--config");
    Files.writeString(dir.resolve("site.yaml"), "");
    assertThat(complete(script, "driftguard", "--config", dir.resolve("si").toString()))
        .containsExactly(dir.resolve("site.yaml").toString());
  }

  /** COMPREPLY after completing the last word of {@code words}. */
  private static List<String> complete(Path script, String... words) throws Exception {
    StringBuilder array = new StringBuilder();
    for (String word : words) {
      array.append('\'').append(word).append("' ");
    }
    String program =
        "source '%s'; COMP_WORDS=(%s); COMP_CWORD=%d; _driftguard; printf '%%s\\n' \"${COMPREPLY[@]}\""
            .formatted(script, array, words.length - 1);
    Result result = exec(List.of("bash", "-c", program), "");
    assertThat(result.err()).isEmpty();
    return result.out().lines().filter(l -> !l.isEmpty()).toList();
  }

  private record Result(String out, String err) {}

  private static Result exec(List<String> command, String input) throws Exception {
    Process process = new ProcessBuilder(command).start();
    process.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
    process.getOutputStream().close();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return new Result(out, err);
  }

  private static String gunzip(byte[] gz) throws IOException {
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
