package dev.driftguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line: options, exit codes and messages, without starting an agent. */
class MainTest {
  @TempDir Path dir;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return new Main(
            Map.of(),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8))
        .execute(args);
  }

  private Path config(String yaml) throws Exception {
    Path file = dir.resolve("driftguard.yaml");
    Files.writeString(file, yaml);
    return file;
  }

  private static final String VALID =
      """
      services:
        - name: web
          desired: { file: desired/web }
          container: { ports: ["127.0.0.1:18080:8080"] }
          health: { type: http, port: 8080 }
      """;

  @Test
  void validate_acceptsConfigOnEitherSideOfTheCommand() throws Exception {
    Path file = config(VALID);
    assertThat(run("validate", "--config", file.toString())).isEqualTo(ExitCode.OK);
    assertThat(run("--config", file.toString(), "validate")).isEqualTo(ExitCode.OK);
    assertThat(run("validate", "--config=" + file)).isEqualTo(ExitCode.OK);
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("valid");
  }

  @Test
  void validate_invalidConfig_printsEveryErrorWithItsPath_andExits1() throws Exception {
    Path file =
        config(
            """
        services:
          - name: web
            desired: { file: desired/web }
            container: { ports: ["127.0.0.1:18080:8080"], portz: [] }
            health: { type: http, port: 70000 }
        """);
    assertThat(run("validate", "--config", file.toString())).isEqualTo(ExitCode.ERROR);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("services[0].container.portz: unknown key")
        .contains("services[0].health.port:");
  }

  @Test
  void agentCommands_takeNoArguments() throws Exception {
    assertThat(run("validate", "extra")).isEqualTo(ExitCode.USAGE);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("takes no arguments");
  }

  @Test
  void unknownCommandOrOption_isAUsageError() {
    assertThat(run("deploy")).isEqualTo(ExitCode.USAGE);
    assertThat(run("--verbose", "once")).isEqualTo(ExitCode.USAGE);
    assertThat(run()).isEqualTo(ExitCode.USAGE);
  }

  @Test
  void version_printsTheVersion() {
    assertThat(run("version")).isEqualTo(ExitCode.OK);
    assertThat(out.toString(StandardCharsets.UTF_8)).startsWith("driftguard ");
  }

  @Test
  void versionOption_printsWhatTheVersionCommandPrints() {
    assertThat(run("--version")).isEqualTo(ExitCode.OK);
    String option = out.toString(StandardCharsets.UTF_8);
    out.reset();
    run("version");
    assertThat(option).isEqualTo(out.toString(StandardCharsets.UTF_8)).startsWith("driftguard ");
  }

  @Test
  void help_printsTheCommandTable() {
    assertThat(run("--help")).isEqualTo(ExitCode.OK);
    assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(CommandTable.usage());
  }

  @Test
  void unknownCommand_closeToAKnownWord_suggestsIt() {
    assertThat(run("helo")).isEqualTo(ExitCode.USAGE);
    assertThat(run("valdate")).isEqualTo(ExitCode.USAGE);
    assertThat(run("rollout-staus", "web")).isEqualTo(ExitCode.USAGE);

    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("driftguard: unknown command helo; did you mean --help?\n")
        .contains("driftguard: unknown command valdate; did you mean validate?\n")
        .contains("driftguard: unknown command rollout-staus; did you mean rollout-status?\n");
  }

  @Test
  void unknownCommand_farFromEveryKnownWord_isNamedWithoutAGuess() {
    assertThat(run("deploy")).isEqualTo(ExitCode.USAGE);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .startsWith("driftguard: unknown command deploy\nusage: driftguard")
        .doesNotContain("did you mean");
  }

  @Test
  void unknownOption_closeToAGlobalOne_suggestsIt() {
    assertThat(run("--confg", "x.yaml", "validate")).isEqualTo(ExitCode.USAGE);
    assertThat(run("validate", "--log-fromat=json")).isEqualTo(ExitCode.USAGE);

    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("driftguard: unknown option --confg; did you mean --config?\n")
        .contains("driftguard: unknown option --log-fromat=json; did you mean --log-format?\n");
  }

  @Test
  void optionWithoutItsValue_saysSo() {
    assertThat(run("validate", "--config")).isEqualTo(ExitCode.USAGE);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .startsWith("driftguard: --config needs a value\n")
        .doesNotContain("unknown option");
  }
}
