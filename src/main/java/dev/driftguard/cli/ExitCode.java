package dev.driftguard.cli;

/** Process exit codes; scripts and CI pipelines rely on them, so they never change meaning. */
public final class ExitCode {
  /** Done; for {@code once}: every service is in sync. */
  public static final int OK = 0;
  /** Invalid configuration or a fatal error; nothing was changed by the command itself. */
  public static final int ERROR = 1;
  /** {@code once}: the pass ran but at least one service is not in sync. */
  public static final int NOT_IN_SYNC = 2;
  /** The command line itself is wrong. */
  public static final int USAGE = 64;

  private ExitCode() {}
}
