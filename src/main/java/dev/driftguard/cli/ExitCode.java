package dev.driftguard.cli;

/** Process exit codes; scripts and CI pipelines rely on them, so they never change meaning. */
public final class ExitCode {
  /** Done; for {@code once}: every service is in sync. */
  public static final int OK = 0;

  /** Invalid configuration or a fatal error; nothing was changed by the command itself. */
  public static final int ERROR = 1;

  /**
   * {@code once}: the pass ran but at least one service is not in sync. {@code rollout-status}
   * without {@code --wait}: not every host runs the desired digest yet.
   */
  public static final int NOT_IN_SYNC = 2;

  /**
   * {@code rollout-status}: a host rolled the desired digest back (its deploy failed), so the
   * rollout will not finish; pin another image. With {@code --wait} this ends the wait at once.
   */
  public static final int ROLLED_BACK = 3;

  /** {@code rollout-status --wait}: the fleet had not converged when {@code --timeout} passed. */
  public static final int TIMED_OUT = 4;

  /** The command line itself is wrong. */
  public static final int USAGE = 64;

  private ExitCode() {}
}
