package dev.driftguard.testing;

import dev.driftguard.host.StateDirectoryLock;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Another process that holds a state directory's lock, as a running agent would (the lock is the
 * operating system's, per process, so a second process is the only real test of it).
 */
public final class StateLockHolder implements AutoCloseable {
  private final Process process;

  private StateLockHolder(Process process) {
    this.process = process;
  }

  /** Starts a JVM that takes the lock on {@code stateDir}; returns once it holds it. */
  public static StateLockHolder start(Path stateDir) throws IOException {
    Process process =
        new ProcessBuilder(JavaCommand.of(StateLockHolder.class, stateDir.toString()))
            .redirectErrorStream(true)
            .start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    String line;
    while ((line = out.readLine()) != null) {
      if (line.equals("locked")) {
        return new StateLockHolder(process);
      }
    }
    throw new IllegalStateException("the lock holder exited before taking the lock");
  }

  public long pid() {
    return process.pid();
  }

  /** Ends the holder as {@code kill -9} would: no chance to clean up. */
  public void kill() {
    process.destroyForcibly();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        throw new IllegalStateException("the lock holder did not exit");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while the lock holder exits", e);
    }
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      kill();
    }
  }

  /** The holder process: takes the lock on the folder given, says so, and waits to be killed. */
  public static void main(String[] args) throws InterruptedException {
    StateDirectoryLock lock = StateDirectoryLock.acquire(Path.of(args[0]));
    System.out.println(lock.held() ? "locked" : "not locked");
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
