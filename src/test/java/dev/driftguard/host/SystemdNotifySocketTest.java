package dev.driftguard.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.driftguard.testing.NotifySocketReceiver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SystemdNotifySocketTest {
  private static final long PID = 4242;
  private static final Duration WAIT = Duration.ofSeconds(2);

  @Test
  void fromEnvironment_withoutNotifySocket_isNoServiceManager() {
    ServiceManager manager = SystemdNotifySocket.fromEnvironment(Map.of(), PID);

    assertThat(manager.supervised()).isFalse();
    assertThat(manager.watchdogTimeout()).isEmpty();
  }

  @Test
  void fromEnvironment_readsTheWatchdogTimeout_inMicroseconds() {
    ServiceManager manager =
        SystemdNotifySocket.fromEnvironment(
            Map.of(
                "NOTIFY_SOCKET",
                "/run/systemd/notify",
                "WATCHDOG_USEC",
                "60000000",
                "WATCHDOG_PID",
                "4242"),
            PID);

    assertThat(manager.supervised()).isTrue();
    assertThat(manager.watchdogTimeout()).contains(Duration.ofSeconds(60));
  }

  @Test
  void fromEnvironment_whenTheWatchdogIsAnotherProcesss_hasNoWatchdog() {
    ServiceManager manager =
        SystemdNotifySocket.fromEnvironment(
            Map.of(
                "NOTIFY_SOCKET",
                "/run/systemd/notify",
                "WATCHDOG_USEC",
                "60000000",
                "WATCHDOG_PID",
                "1"),
            PID);

    assertThat(manager.watchdogTimeout()).isEmpty();
  }

  @Test
  void fromEnvironment_withAnAddressThatIsNotAUnixSocket_isNoServiceManager() {
    assertThat(
            SystemdNotifySocket.fromEnvironment(Map.of("NOTIFY_SOCKET", "vsock:2:1234"), PID)
                .supervised())
        .isFalse();
  }

  @Test
  void ready_reachesASocketFile_withTheStatusLine(@TempDir Path dir) throws Exception {
    try (NotifySocketReceiver systemd = NotifySocketReceiver.atPath(dir)) {
      ServiceManager manager =
          SystemdNotifySocket.fromEnvironment(Map.of("NOTIFY_SOCKET", systemd.name()), PID);

      manager.ready("first reconcile pass done:\n1 service");

      assertThat(systemd.receive(WAIT))
          .isEqualTo("READY=1\nSTATUS=first reconcile pass done: 1 service");
    }
  }

  @Test
  void everyMessage_reachesAnAbstractSocket() throws Exception {
    try (NotifySocketReceiver systemd =
        NotifySocketReceiver.abstractNamed("driftguard-test-" + ProcessHandle.current().pid())) {
      ServiceManager manager =
          SystemdNotifySocket.fromEnvironment(Map.of("NOTIFY_SOCKET", systemd.name()), PID);

      manager.alive();
      manager.extendStartTimeout(Duration.ofSeconds(30));
      manager.stopping();

      assertThat(systemd.receive(WAIT)).isEqualTo("WATCHDOG=1");
      assertThat(systemd.receive(WAIT)).isEqualTo("EXTEND_TIMEOUT_USEC=30000000");
      assertThat(systemd.receive(WAIT)).startsWith("STOPPING=1\n");
    }
  }

  @Test
  void send_whenNothingListens_doesNotThrow(@TempDir Path dir) {
    ServiceManager manager =
        SystemdNotifySocket.fromEnvironment(
            Map.of("NOTIFY_SOCKET", dir.resolve("gone").toString()), PID);

    assertThatCode(
            () -> {
              manager.alive();
              manager.alive();
            })
        .doesNotThrowAnyException();
  }

  @Test
  void sockaddr_ofAPath_endsWithNul_andOfAnAbstractName_startsWithNul() {
    byte[] path = SystemdNotifySocket.sockaddr("/run/n");
    byte[] abstractName = SystemdNotifySocket.sockaddr("@n");

    assertThat(path).hasSize(2 + 6 + 1);
    assertThat(path[path.length - 1]).isZero();
    assertThat(abstractName).hasSize(2 + 2);
    assertThat(abstractName[2]).isZero();
    assertThat(abstractName[3]).isEqualTo((byte) 'n');
  }
}
