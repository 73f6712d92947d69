package dev.driftguard.host;

import dev.driftguard.model.DriftguardException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/**
 * The state file could not be written: the state directory is read-only or not the agent's, or its
 * filesystem is full. The agent keeps serving from what it holds in memory (a deploy goes on; only
 * what a restart would remember is at risk) and reports the problem; the message names the file and
 * what to do. State files hold no secrets, so nothing here can leak one.
 */
public class StateStoreException extends DriftguardException {
  private static final long serialVersionUID = 1L;

  /** Why the save failed, as far as the operating system said. */
  public enum Problem {
    /** A read-only filesystem, or a directory the agent may not write. */
    NOT_WRITABLE,
    /** No space (or inode, or quota) left on the state directory's filesystem. */
    FULL,
    /** Any other I/O error. */
    OTHER
  }

  private final transient Path file;
  private final Problem problem;

  public StateStoreException(Path file, Problem problem, String message, Throwable cause) {
    super(message, cause);
    this.file = Objects.requireNonNull(file, "file");
    this.problem = Objects.requireNonNull(problem, "problem");
  }

  /** A save of {@code file} that failed with {@code cause}, worded with what to do about it. */
  static StateStoreException saving(Path file, IOException cause) {
    Problem problem = classify(cause);
    String reason =
        cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    String hint =
        switch (problem) {
          case NOT_WRITABLE ->
              "make "
                  + file.getParent()
                  + " writable by the agent (agent.stateDir; the unit's ReadWritePaths)";
          case FULL -> "free space on the filesystem of " + file.getParent();
          case OTHER -> "check the filesystem of " + file.getParent();
        };
    return new StateStoreException(
        file,
        problem,
        "cannot save the state file "
            + file
            + " ("
            + reason
            + "): the agent keeps serving and keeps its state in memory until a save succeeds; "
            + hint,
        cause);
  }

  /**
   * What an {@link IOException} from a write means. The JDK reports {@code EROFS} and {@code
   * ENOSPC} only in the message (the operating system's own words), so that is what is read.
   */
  static Problem classify(IOException e) {
    if (e instanceof AccessDeniedException) {
      return Problem.NOT_WRITABLE;
    }
    String text =
        ((e instanceof FileSystemException fs && fs.getReason() != null)
                ? fs.getReason()
                : String.valueOf(e.getMessage()))
            .toLowerCase(Locale.ROOT);
    if (text.contains("read-only file system") || text.contains("permission denied")) {
      return Problem.NOT_WRITABLE;
    }
    if (text.contains("no space left") || text.contains("quota exceeded")) {
      return Problem.FULL;
    }
    return Problem.OTHER;
  }

  /** The state file that was being written. */
  public Path file() {
    return file;
  }

  public Problem problem() {
    return problem;
  }
}
