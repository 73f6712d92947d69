package dev.driftguard.host;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One agent per state directory: an exclusive lock on {@code <stateDir>/lock}, taken at start and
 * held for the life of the process, so {@code driftguard once} and the {@code run} service never
 * write the state file (or act on the same containers) together.
 *
 * <p>The lock is the operating system's ({@code fcntl} on Linux, through {@link
 * FileChannel#tryLock}), so it goes away with the process however it ends, {@code kill -9}
 * included: a stale lock file never blocks a restart. The file holds the holder's pid, for the
 * message of the one refused.
 *
 * <p>A read-only state directory cannot hold a lock file. The agent still runs there (the state
 * file cannot be written either, so two agents cannot corrupt it): {@link #acquire} warns and
 * returns a lock that {@linkplain #held() is not held}.
 */
public final class StateDirectoryLock implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(StateDirectoryLock.class);
  static final String FILE_NAME = "lock";

  private final Path file;
  private final FileChannel channel;
  private final FileLock lock;

  private StateDirectoryLock(Path file, FileChannel channel, FileLock lock) {
    this.file = file;
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Takes the lock on {@code stateDir} (created if absent).
   *
   * @throws StateDirectoryLockedException when another process (or this one) holds it
   */
  public static StateDirectoryLock acquire(Path stateDir) {
    Path file = stateDir.resolve(FILE_NAME);
    FileChannel channel;
    try {
      Files.createDirectories(stateDir);
      // Not TRUNCATE_EXISTING: that would wipe the holder's pid before we know we hold the lock.
      channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    } catch (IOException e) {
      if (StateStoreException.classify(e) == StateStoreException.Problem.NOT_WRITABLE) {
        logger.warn(
            "state directory {} is not writable ({}): running WITHOUT the single-instance lock,"
                + " and the state file cannot be saved (deploy progress and failed digests are"
                + " kept in memory only); make it writable by the agent",
            stateDir,
            reason(e));
        return new StateDirectoryLock(file, null, null);
      }
      throw new StateDirectoryLockedException(
          "cannot open the lock file " + file + ": " + reason(e), e);
    }
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      closeQuietly(channel);
      throw new StateDirectoryLockedException(
          "this process already holds the lock on " + file + " (two agents in one JVM?)", e);
    } catch (IOException e) {
      closeQuietly(channel);
      throw new StateDirectoryLockedException("cannot lock " + file + ": " + reason(e), e);
    }
    if (lock == null) {
      String holder = readHolder(file);
      closeQuietly(channel);
      throw new StateDirectoryLockedException(
          "another driftguard agent"
              + (holder.isEmpty() ? "" : " (pid " + holder + ")")
              + " holds the lock on "
              + file
              + ": only one agent may use a state directory. Stop the other one first (the"
              + " service: systemctl stop driftguard; `driftguard once` is for when the service"
              + " is stopped), or give this one its own agent.stateDir",
          null);
    }
    writePid(channel);
    return new StateDirectoryLock(file, channel, lock);
  }

  /** False when the state directory was read-only and the agent runs without the lock. */
  public boolean held() {
    return lock != null && lock.isValid();
  }

  /** The lock file ({@code <stateDir>/lock}). */
  public Path file() {
    return file;
  }

  /** Releases the lock. The file stays: removing it would race with the next agent's open. */
  @Override
  public void close() {
    if (channel != null) {
      closeQuietly(channel); // closing the channel releases its lock
    }
  }

  private static void writePid(FileChannel channel) {
    try {
      channel.truncate(0);
      channel.write(
          ByteBuffer.wrap(
              (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)),
          0);
    } catch (IOException e) {
      // Only the refused agent's message would miss it; the lock itself is held.
      logger.debug("cannot write the pid into the lock file: {}", e.getMessage());
    }
  }

  private static String readHolder(Path file) {
    try {
      String text = Files.readString(file, StandardCharsets.US_ASCII).strip();
      return text.matches("\\d{1,10}") ? text : "";
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }

  private static String reason(IOException e) {
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  private static void closeQuietly(FileChannel channel) {
    try {
      channel.close();
    } catch (IOException e) {
      logger.debug("cannot close the lock file: {}", e.getMessage());
    }
  }
}
