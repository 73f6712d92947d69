package dev.driftguard.host;

import dev.driftguard.model.DriftguardException;

/**
 * Another agent holds the state directory's lock ({@link StateDirectoryLock}), or the lock file
 * cannot be opened for a reason other than a read-only directory. The message names the lock file
 * and what to do.
 */
public class StateDirectoryLockedException extends DriftguardException {
  private static final long serialVersionUID = 1L;

  public StateDirectoryLockedException(String message, Throwable cause) {
    super(message, cause);
  }
}
