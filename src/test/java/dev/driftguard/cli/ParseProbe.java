package dev.driftguard.cli;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.Map;

/**
 * Main's parsing path, reachable from the benchmark {@code dev.driftguard.bench.CliParse}: {@link
 * Main#parse} exactly as {@code driftguard} runs it, without dispatching the command.
 */
public final class ParseProbe {
  private ParseProbe() {}

  /**
   * Parses {@code args} as {@code driftguard} does: {@link Main#parse}, then for an operator
   * command the words after it with that command's options.
   *
   * @return what was parsed, e.g. {@code pin [web, repo@sha256:...]}, or {@code exit N} when the
   *     command line was done with (help, a usage error)
   */
  public static String parse(String[] args) {
    PrintStream discard = new PrintStream(OutputStream.nullOutputStream());
    Main.Invocation invocation = new Main(Map.of(), discard, discard).parse(args);
    String command = invocation.command();
    if (command == null) {
      return "exit " + invocation.exit();
    }
    if (CommandTable.command(command).operator()) {
      return command
          + " "
          + dev.driftguard.operator.ParseProbe.positionals(command, invocation.rest());
    }
    return command + " " + invocation.config();
  }
}
