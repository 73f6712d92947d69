package dev.driftguard.operator;

/**
 * How an operator command ended. {@code cli.Main} turns it into the process exit code ({@code
 * cli.ExitCode}), which scripts and CI pipelines rely on; this package does not import {@code cli},
 * so the numbers live in one place only.
 */
public enum Result {
  /** Done; for {@code rollout-status}: every host runs the desired digest and is idle. */
  OK,
  /** Refused or failed; nothing was changed (exit 1). */
  ERROR,
  /** {@code rollout-status} without {@code --wait}: the rollout is not finished (exit 2). */
  NOT_CONVERGED,
  /** {@code rollout-status}: a host rolled the desired digest back (exit 3). */
  ROLLED_BACK,
  /**
   * {@code rollout-status --wait}: {@code --timeout} passed before the fleet converged (exit 4).
   */
  TIMED_OUT,
  /** The command line is wrong (exit 64). */
  USAGE
}
