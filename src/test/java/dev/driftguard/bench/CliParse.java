package dev.driftguard.bench;

import java.time.Instant;
import java.util.Arrays;

/**
 * One fresh JVM parsing one command line, for {@code test/bench/cli-parse}: with driftguard's own
 * parser ({@code cli.Main#parse}, then the operator command's {@code Args}), with the same command
 * line declared in picocli ({@link PicocliCli}), or with nothing (the JVM's own start-up, the floor
 * both stand on). Prints the wall clock in microseconds since the epoch at the moment the command
 * line is parsed, then what was parsed; the script subtracts the time it exec'd the JVM.
 *
 * <pre>
 * java -cp TEST_CLASSPATH dev.driftguard.bench.CliParse own|picocli|none ARGS...
 * </pre>
 */
public final class CliParse {
  private CliParse() {}

  public static void main(String[] args) {
    String[] line = Arrays.copyOfRange(args, 1, args.length);
    // Each parser is reached only through its own branch, so the other's classes never load.
    String parsed =
        switch (args[0]) {
          case "own" -> dev.driftguard.cli.ParseProbe.parse(line);
          case "picocli" -> PicocliCli.parse(line);
          case "none" -> "nothing";
          default -> throw new IllegalArgumentException("parser is own, picocli or none");
        };
    Instant now = Instant.now();
    long micros = now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    System.out.println(micros + " " + parsed);
  }
}
