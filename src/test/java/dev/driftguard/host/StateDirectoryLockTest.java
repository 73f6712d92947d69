package dev.driftguard.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftguard.model.ServiceState;
import dev.driftguard.testing.LogCapture;
import dev.driftguard.testing.Tmpfs;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The single-instance lock against a second real process, since the operating system's lock is
 * per process.
 */
class StateDirectoryLockTest {
  @TempDir Path dir;
  private Process holder;

  @AfterEach
  void stopHolder() throws InterruptedException {
    if (holder != null && holder.isAlive()) {
      holder.destroyForcibly();
      holder.waitFor(10, TimeUnit.SECONDS);
    }
  }

  /** Starts a JVM that takes the lock on {@code stateDir} and holds it until killed. */
  private Process holdInAnotherProcess(Path stateDir) throws IOException {
    holder =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                Holder.class.getName(),
                stateDir.toString())
            .redirectErrorStream(true)
            .start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
    String line;
    while ((line = out.readLine()) != null) {
      if (line.equals("locked")) {
        return holder;
      }
    }
    throw new IllegalStateException("the holder process exited before taking the lock");
  }

  @Test
  void acquire_whenAnotherProcessHoldsIt_failsNamingItsPidAndWhatToDo() throws IOException {
    Process other = holdInAnotherProcess(dir);

    assertThatThrownBy(() -> StateDirectoryLock.acquire(dir))
        .isInstanceOf(StateDirectoryLockedException.class)
        .hasMessageContaining("another driftguard agent (pid " + other.pid() + ")")
        .hasMessageContaining(dir.resolve("lock").toString())
        .hasMessageContaining("systemctl stop driftguard")
        .hasMessageContaining("agent.stateDir");
  }

  @Test
  void acquire_afterTheHolderWasKilled_succeeds_soAStaleFileNeverBlocksARestart()
      throws Exception {
    Process other = holdInAnotherProcess(dir);
    other.destroyForcibly(); // kill -9: no chance to clean up
    assertThat(other.waitFor(10, TimeUnit.SECONDS)).isTrue();

    try (StateDirectoryLock lock = StateDirectoryLock.acquire(dir)) {
      assertThat(lock.held()).isTrue();
      assertThat(lock.file()).exists();
    }
  }

  @Test
  void acquire_twiceInOneProcess_failsUntilReleased() {
    try (StateDirectoryLock lock = StateDirectoryLock.acquire(dir)) {
      assertThat(lock.held()).isTrue();
      assertThatThrownBy(() -> StateDirectoryLock.acquire(dir))
          .isInstanceOf(StateDirectoryLockedException.class);
    }
    try (StateDirectoryLock again = StateDirectoryLock.acquire(dir)) {
      assertThat(again.held()).isTrue();
    }
  }

  @Test
  void acquire_createsTheStateDirectory() {
    Path missing = dir.resolve("var/lib/driftguard");
    try (StateDirectoryLock lock = StateDirectoryLock.acquire(missing)) {
      assertThat(lock.held()).isTrue();
      assertThat(missing.resolve("lock")).exists();
    }
  }

  @Test
  void acquire_onReadOnlyDirectory_runsWithoutTheLock_andWarnsSayingSo() throws IOException {
    try (Tmpfs fs = Tmpfs.mount(dir.resolve("state"), "64k");
        LogCapture log = LogCapture.of(StateDirectoryLock.class)) {
      fs.remountReadOnly();

      try (StateDirectoryLock lock = StateDirectoryLock.acquire(fs.dir())) {
        assertThat(lock.held()).isFalse();
      }
      assertThat(log.at("WARN"))
          .singleElement()
          .satisfies(
              line ->
                  assertThat(line)
                      .contains(fs.dir().toString())
                      .contains("not writable")
                      .contains("WITHOUT the single-instance lock")
                      .contains("cannot be saved"));
      // The store then reports each failed save; the agent keeps running.
      assertThatThrownBy(
              () -> new FileStateStore(fs.dir(), "i-0123456789abcdef0").save(ServiceState.initial("web")))
          .isInstanceOf(StateStoreException.class);
    }
  }

  /** Holds the lock on the folder given as the argument until the process is killed. */
  static final class Holder {
    public static void main(String[] args) throws InterruptedException {
      StateDirectoryLock lock = StateDirectoryLock.acquire(Path.of(args[0]));
      System.out.println(lock.held() ? "locked" : "not locked");
      System.out.flush();
      Thread.sleep(Long.MAX_VALUE);
    }
  }
}
