package dev.driftguard.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftguard.model.ServiceState;
import dev.driftguard.testing.LogCapture;
import dev.driftguard.testing.StateLockHolder;
import dev.driftguard.testing.Tmpfs;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The single-instance lock against a second real process, since the operating system's lock is per
 * process.
 */
class StateDirectoryLockTest {
  @TempDir Path dir;

  @Test
  void acquire_whenAnotherProcessHoldsIt_failsNamingItsPidAndWhatToDo() throws Exception {
    try (StateLockHolder other = StateLockHolder.start(dir)) {
      assertThatThrownBy(() -> StateDirectoryLock.acquire(dir))
          .isInstanceOf(StateDirectoryLockedException.class)
          .hasMessageContaining("another driftguard agent (pid " + other.pid() + ")")
          .hasMessageContaining(dir.resolve("lock").toString())
          .hasMessageContaining("systemctl stop driftguard")
          .hasMessageContaining("agent.stateDir");
    }
  }

  @Test
  void acquire_afterTheHolderWasKilled_succeeds_soAStaleFileNeverBlocksARestart() throws Exception {
    StateLockHolder other = StateLockHolder.start(dir);
    other.kill();

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
              () ->
                  new FileStateStore(fs.dir(), "i-0123456789abcdef0")
                      .save(ServiceState.initial("web")))
          .isInstanceOf(StateStoreException.class);
    }
  }
}
