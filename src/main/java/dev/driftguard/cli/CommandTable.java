package dev.driftguard.cli;

import dev.driftguard.operator.OperatorCommands;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code driftguard} command line as data. {@code --help}, the man page and the bash completion
 * ({@link CliDocs}) are all rendered from this one table, so they cannot disagree with each other;
 * {@link Main} dispatches on the same names.
 */
final class CommandTable {
  /** One command: its name, what follows it in a synopsis, and one line of what it does. */
  record Command(String name, String arguments, String summary) {
    /** Whether the operator commands ({@code pin}, ...) parse the words after it themselves. */
    boolean operator() {
      return OperatorCommands.NAMES.contains(name);
    }
  }

  /** One global option; {@code argument} is empty for a flag. */
  record Option(String name, String argument, String summary) {}

  /** One exit status and when it happens. */
  record Exit(int code, String meaning) {}

  static final String DEFAULT_CONFIG = "/etc/driftguard/driftguard.yaml";

  static final List<Command> COMMANDS =
      List.of(
          new Command(
              "run",
              "",
              "reconcile every poll interval until stopped (SIGTERM leaves containers running)"),
          new Command(
              "once", "", "one reconcile pass; exit 0 when every service is in sync, 2 when not"),
          new Command(
              "validate",
              "",
              "check the configuration, print every error with its path; exit 0 or 1"),
          new Command("version", "", "print the version (the same as --version)"),
          new Command(
              "status",
              "[--json]",
              "this host's services as a table (--json: the agent's /status document)"),
          new Command(
              "pin",
              "SERVICE IMAGE[:tag|@sha256:...]",
              "resolve a tag in ECR, check the image, write the desired digest to SSM"),
          new Command(
              "rollout-status",
              "SERVICE [--wait]",
              "the fleet's progress from the hosts' EC2 tags; with --wait exit 0 when converged,"
                  + " 3 on a rollback, 4 on timeout"));

  static final List<Option> OPTIONS =
      List.of(
          new Option(
              "--config",
              "FILE",
              "configuration file (default: $DRIFTGUARD_CONFIG or "
                  + DEFAULT_CONFIG
                  + "), read with the conf.d/*.yaml drop-ins beside it"),
          new Option(
              "--log-format",
              "text|json",
              "log lines as text or one JSON object each (default: agent.log.format)"),
          new Option("--help", "", "print this help (COMMAND --help: that command's options)"),
          new Option("--version", "", "print the version"));

  static final List<Exit> EXITS =
      List.of(
          new Exit(ExitCode.OK, "done; once: every service is in sync; rollout-status: converged"),
          new Exit(ExitCode.ERROR, "invalid configuration or another error"),
          new Exit(
              ExitCode.NOT_IN_SYNC,
              "once: a service is not in sync; rollout-status: not converged yet"),
          new Exit(ExitCode.ROLLED_BACK, "rollout-status: a host rolled the desired digest back"),
          new Exit(
              ExitCode.TIMED_OUT, "rollout-status --wait: the fleet had not converged in time"),
          new Exit(ExitCode.USAGE, "the command line is wrong"));

  private static final Pattern LONG_OPTION = Pattern.compile("--[a-z][a-z-]*");

  private CommandTable() {}

  static Command command(String name) {
    return COMMANDS.stream().filter(c -> c.name().equals(name)).findFirst().orElse(null);
  }

  /** The global options' names, in the table's order. */
  static List<String> optionNames() {
    return OPTIONS.stream().map(Option::name).toList();
  }

  /**
   * What may stand where the command name does: the commands, then the options that stand alone
   * ({@code --help}, {@code --version}); what an unknown command is compared with for a hint.
   */
  static List<String> commandWords() {
    List<String> words = new ArrayList<>();
    COMMANDS.forEach(c -> words.add(c.name()));
    OPTIONS.stream().filter(o -> o.argument().isEmpty()).forEach(o -> words.add(o.name()));
    return words;
  }

  /**
   * The options {@code command} accepts after its name: the global ones for the agent's commands,
   * and for an operator command those its own usage text names.
   */
  static List<String> options(Command command) {
    Set<String> options = new LinkedHashSet<>();
    if (command.operator()) {
      Matcher m = LONG_OPTION.matcher(OperatorCommands.usage(command.name()));
      while (m.find()) {
        options.add(m.group());
      }
      options.add("--help");
    } else {
      OPTIONS.stream()
          .filter(o -> !o.name().equals("--version"))
          .forEach(o -> options.add(o.name()));
    }
    return new ArrayList<>(options);
  }

  /** {@code driftguard --help}. */
  static String usage() {
    StringBuilder text = new StringBuilder();
    text.append("usage: driftguard [--config FILE] COMMAND\n");
    text.append("       driftguard --help | --version\n\ncommands:\n");
    for (Command command : COMMANDS) {
      String head =
          command.arguments().isEmpty()
              ? command.name()
              : command.name() + " " + command.arguments();
      if (head.length() <= 9) {
        text.append("  ").append(String.format("%-9s  ", head));
      } else {
        text.append("  ").append(head).append("\n").append(" ".repeat(13));
      }
      text.append(wrap(command.summary(), 13, 96)).append('\n');
    }
    text.append("  (COMMAND --help for a command's options)\n\noptions:\n");
    for (Option option : OPTIONS) {
      String head =
          option.argument().isEmpty() ? option.name() : option.name() + " " + option.argument();
      text.append("  ").append(String.format("%-22s  ", head));
      text.append(wrap(option.summary(), 26, 96)).append('\n');
    }
    return text.toString();
  }

  /** Words of {@code text} on lines of at most {@code width}, continued at {@code indent}. */
  private static String wrap(String text, int indent, int width) {
    StringBuilder out = new StringBuilder();
    int column = indent;
    for (String word : text.split(" ")) {
      if (column > indent && column + 1 + word.length() > width) {
        out.append('\n').append(" ".repeat(indent));
        column = indent;
      } else if (column > indent) {
        out.append(' ');
        column++;
      }
      out.append(word);
      column += word.length();
    }
    return out.toString();
  }
}
