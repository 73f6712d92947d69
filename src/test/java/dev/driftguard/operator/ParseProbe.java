package dev.driftguard.operator;

import java.util.List;

/**
 * The operator commands' parsing path, reachable from the benchmark {@code
 * dev.driftguard.bench.CliParse}: {@link OperatorCommands#parse} with the command's own options,
 * before any configuration is read.
 */
public final class ParseProbe {
  private ParseProbe() {}

  /** The positional words of {@code words} after {@code command}, parsed as the command does. */
  public static List<String> positionals(String command, List<String> words) {
    return OperatorCommands.parse(command, words).positionals();
  }
}
