package dev.driftguard.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A small tmpfs mounted on a test's folder, to make a real full or read-only filesystem (as root
 * cannot be refused a write by file modes alone). Needs {@code mount}, which CI has (it runs as
 * root); where mounting is impossible the test is skipped with the reason {@code mount} gave.
 *
 * <pre>{@code
 * try (Tmpfs fs = Tmpfs.mount(dir, "64k")) {
 *   fs.fill();             // ENOSPC from now on
 *   fs.remountReadOnly();  // EROFS from now on
 * }
 * }</pre>
 */
public final class Tmpfs implements AutoCloseable {
  private final Path dir;

  private Tmpfs(Path dir) {
    this.dir = dir;
  }

  /**
   * Mounts a tmpfs of {@code size} ({@code 64k}, {@code 1m}) on {@code dir}; skips the calling test
   * (JUnit assumption) when that is impossible here.
   */
  public static Tmpfs mount(Path dir, String size) throws IOException {
    Files.createDirectories(dir);
    String failure =
        run("mount", "-t", "tmpfs", "-o", "size=" + size + ",mode=0755", "tmpfs", dir.toString());
    assumeTrue(
        failure == null,
        () -> "skipped: cannot mount a tmpfs on " + dir + " (needs root and mount): " + failure);
    return new Tmpfs(dir);
  }

  public Path dir() {
    return dir;
  }

  /** Writes a file until the filesystem is full (ENOSPC); returns it, to free the space again. */
  public Path fill() throws IOException {
    Path filler = dir.resolve("filler");
    byte[] block = new byte[1024];
    try (var out = Files.newOutputStream(filler)) {
      for (int i = 0; i < 1_000_000; i++) {
        out.write(block);
      }
    } catch (IOException e) {
      if (e.getMessage() != null && e.getMessage().contains("No space left")) {
        return filler;
      }
      throw e;
    }
    throw new IllegalStateException("the tmpfs on " + dir + " never filled up");
  }

  /** From now on every write fails with "Read-only file system" (EROFS). */
  public void remountReadOnly() {
    String failure = run("mount", "-o", "remount,ro", dir.toString());
    if (failure != null) {
      throw new IllegalStateException("cannot remount " + dir + " read-only: " + failure);
    }
  }

  /** Writable again. */
  public void remountReadWrite() {
    String failure = run("mount", "-o", "remount,rw", dir.toString());
    if (failure != null) {
      throw new IllegalStateException("cannot remount " + dir + " read-write: " + failure);
    }
  }

  /** Unmounts (lazily, so a file a failed test left open cannot keep the mount). */
  @Override
  public void close() {
    String failure = run("umount", "-l", dir.toString());
    if (failure != null) {
      throw new IllegalStateException("cannot unmount the tmpfs on " + dir + ": " + failure);
    }
  }

  /** Runs a command; null when it succeeded, else what it said. */
  private static String run(String... command) {
    List<String> words = new ArrayList<>(List.of(command));
    try {
      Process process = new ProcessBuilder(words).redirectErrorStream(true).start();
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        return String.join(" ", words) + " did not finish within 20 s";
      }
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      return process.exitValue() == 0
          ? null
          : String.join(" ", words) + " exited " + process.exitValue() + ": " + output.strip();
    } catch (IOException e) {
      return String.join(" ", words) + ": " + e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
  }
}
