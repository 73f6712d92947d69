package dev.driftguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftguard.host.ServiceManager;
import dev.driftguard.host.SystemdNotifySocket;
import dev.driftguard.metrics.LoopHealth;
import dev.driftguard.model.ServiceSpec;
import dev.driftguard.reconcile.Action;
import dev.driftguard.testing.FakeTime;
import dev.driftguard.testing.NotifySocketReceiver;
import dev.driftguard.testing.Specs;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's wiring to systemd ({@link Agent.Supervision}) on a real notify socket: the heartbeat
 * thread beats every 100 ms (WatchdogSec=200ms) in real time, while the loop's liveness is judged
 * on a virtual clock, so a loop frozen for longer than its stall allowance costs nothing to wait.
 */
class SupervisionTest {
  private static final Duration POLL = Duration.ofSeconds(15);
  private static final Duration WAIT = Duration.ofSeconds(5);
  private static final List<ServiceSpec> SERVICES =
      List.of(Specs.web(), Specs.service("worker", Specs.container(), true));

  private final FakeTime time = FakeTime.startingAt("2026-01-01T00:00:00Z");
  private final AtomicReference<Instant> lastTick = new AtomicReference<>();

  @Test
  void systemdHearsReadyAfterTheFirstPass_watchdogWhileTheLoopTicks_andSilenceOnceItIsFrozen(
      @TempDir Path dir) throws Exception {
    try (NotifySocketReceiver systemd = NotifySocketReceiver.atPath(dir)) {
      ServiceManager manager =
          SystemdNotifySocket.fromEnvironment(
              Map.of("NOTIFY_SOCKET", systemd.name(), "WATCHDOG_USEC", "200000"),
              ProcessHandle.current().pid());
      java.util.concurrent.atomic.AtomicInteger alsoReady =
          new java.util.concurrent.atomic.AtomicInteger();
      Agent.Supervision supervision =
          Agent.Supervision.of(
              manager, lastTick::get, POLL, SERVICES, time, alsoReady::incrementAndGet);
      supervision.heartbeat().start();
      try {
        // Starting: the loop lives (the first pass is under way), so start-up is extended, not
        // ready.
        tick();
        assertThat(systemd.receive(WAIT)).isEqualTo("EXTEND_TIMEOUT_USEC=300000");
        supervision.firstPass().passFinished("web", true, new Action.InSync());
        assertThat(messagesFor(systemd, Duration.ofMillis(300)))
            .allMatch(m -> m.startsWith("EXTEND_TIMEOUT_USEC="));
        assertThat(alsoReady).hasValue(0);

        // The last service's pass ends the first pass, failed or not.
        supervision.firstPass().passFailed("worker", new RuntimeException("engine unreachable"));
        assertThat(nextOtherThanExtend(systemd))
            .isEqualTo(
                "READY=1\nSTATUS=first reconcile pass done: 2 services, 1 in sync, 1 failed");
        supervision.firstPass().passFinished("web", true, new Action.InSync());
        assertThat(alsoReady).hasValue(1);

        // Alive: a watchdog message every beat while the loop keeps ticking.
        for (int i = 0; i < 3; i++) {
          time.advance(POLL);
          tick();
          assertThat(systemd.receive(WAIT)).isEqualTo("WATCHDOG=1");
        }

        // Frozen: no tick for longer than the stall allowance, and systemd hears nothing more.
        time.advance(LoopHealth.stallAllowance(POLL, SERVICES).plusSeconds(1));
        Thread.sleep(300); // a beat that was already on its way
        systemd.drain();
        assertThat(messagesFor(systemd, Duration.ofSeconds(1))).isEmpty();

        // A loop that ticks again is heard again.
        tick();
        assertThat(systemd.receive(WAIT)).isEqualTo("WATCHDOG=1");

        supervision.heartbeat().stopping();
        assertThat(nextOtherThan(systemd, "WATCHDOG=1")).startsWith("STOPPING=1\n");
        systemd.drain();
        assertThat(messagesFor(systemd, Duration.ofMillis(500))).isEmpty();
      } finally {
        supervision.heartbeat().close();
      }
    }
  }

  @Test
  void aLoopThatNeverTicks_isNotExtendedPastItsStallAllowance(@TempDir Path dir) throws Exception {
    try (NotifySocketReceiver systemd = NotifySocketReceiver.atPath(dir)) {
      ServiceManager manager =
          SystemdNotifySocket.fromEnvironment(
              Map.of("NOTIFY_SOCKET", systemd.name()), ProcessHandle.current().pid());
      Agent.Supervision supervision =
          Agent.Supervision.of(manager, lastTick::get, POLL, SERVICES, time, () -> {});

      supervision.heartbeat().beat();
      assertThat(systemd.receive(WAIT)).startsWith("EXTEND_TIMEOUT_USEC=");

      time.advance(LoopHealth.stallAllowance(POLL, SERVICES).plusSeconds(1));
      supervision.heartbeat().beat();
      assertThat(systemd.receive(Duration.ofMillis(500))).isNull();
    }
  }

  private void tick() {
    lastTick.set(time.instant());
  }

  private static List<String> messagesFor(NotifySocketReceiver systemd, Duration duration)
      throws InterruptedException {
    Thread.sleep(duration.toMillis());
    return systemd.drain();
  }

  private static String nextOtherThanExtend(NotifySocketReceiver systemd)
      throws InterruptedException {
    String message;
    do {
      message = systemd.receive(WAIT);
    } while (message != null && message.startsWith("EXTEND_TIMEOUT_USEC="));
    return message;
  }

  private static String nextOtherThan(NotifySocketReceiver systemd, String skipped)
      throws InterruptedException {
    String message;
    do {
      message = systemd.receive(WAIT);
    } while (skipped.equals(message));
    return message;
  }
}
