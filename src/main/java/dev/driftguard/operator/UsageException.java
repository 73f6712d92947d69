package dev.driftguard.operator;

/** The command line of an operator command is wrong; the command prints its usage and exits 64. */
final class UsageException extends OperatorException {
  private static final long serialVersionUID = 1L;

  UsageException(String message) {
    super(message);
  }
}
