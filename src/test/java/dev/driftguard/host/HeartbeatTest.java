package dev.driftguard.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class HeartbeatTest {
  private final Recording manager = new Recording(Duration.ofSeconds(60));
  private final AtomicBoolean loopAlive = new AtomicBoolean(true);
  private final Heartbeat heartbeat = new Heartbeat(manager, loopAlive::get);

  @Test
  void interval_isHalfTheWatchdogTimeout() {
    assertThat(heartbeat.interval()).isEqualTo(Duration.ofSeconds(30));
    assertThat(new Heartbeat(new Recording(null), () -> true).interval())
        .isEqualTo(Heartbeat.DEFAULT_INTERVAL);
  }

  @Test
  void beat_beforeReady_extendsTheStartTimeout() {
    heartbeat.beat();

    assertThat(manager.messages).containsExactly("EXTEND_TIMEOUT_USEC=90000000");
  }

  @Test
  void beat_afterReady_tellsTheWatchdog() {
    heartbeat.ready("first reconcile pass done");
    heartbeat.beat();

    assertThat(manager.messages)
        .containsExactly("READY=1 first reconcile pass done", "WATCHDOG=1", "WATCHDOG=1");
  }

  @Test
  void ready_isSentOnce() {
    heartbeat.ready("one");
    heartbeat.ready("two");

    assertThat(manager.messages).containsExactly("READY=1 one", "WATCHDOG=1");
  }

  @Test
  void beat_whileTheLoopIsStalled_saysNothing_andResumesWhenItTicks() {
    heartbeat.ready("ready");
    manager.messages.clear();

    loopAlive.set(false);
    heartbeat.beat();
    heartbeat.beat();
    assertThat(manager.messages).isEmpty();

    loopAlive.set(true);
    heartbeat.beat();
    assertThat(manager.messages).containsExactly("WATCHDOG=1");
  }

  @Test
  void beat_whileStartingAndStalled_doesNotExtendTheStart() {
    loopAlive.set(false);
    heartbeat.beat();

    assertThat(manager.messages).isEmpty();
  }

  @Test
  void stopping_isSentOnce_andEndsTheBeats() {
    heartbeat.ready("ready");
    heartbeat.stopping();
    heartbeat.stopping();
    heartbeat.beat();
    heartbeat.ready("again");

    assertThat(manager.messages).containsExactly("READY=1 ready", "WATCHDOG=1", "STOPPING=1");
  }

  @Test
  void start_withoutAServiceManager_startsNoThread() {
    Heartbeat unsupervised = new Heartbeat(ServiceManager.none(), () -> true);
    unsupervised.start();
    unsupervised.ready("ready");

    assertThat(Thread.getAllStackTraces().keySet())
        .noneMatch(t -> t.getName().equals("driftguard-heartbeat"));
  }

  /** A service manager that writes down what it is told. */
  private static final class Recording implements ServiceManager {
    final List<String> messages = new ArrayList<>();
    final Duration watchdog;

    Recording(Duration watchdog) {
      this.watchdog = watchdog;
    }

    @Override
    public void ready(String status) {
      messages.add("READY=1 " + status);
    }

    @Override
    public void alive() {
      messages.add("WATCHDOG=1");
    }

    @Override
    public void extendStartTimeout(Duration extension) {
      messages.add("EXTEND_TIMEOUT_USEC=" + extension.toNanos() / 1000);
    }

    @Override
    public void stopping() {
      messages.add("STOPPING=1");
    }

    @Override
    public Optional<Duration> watchdogTimeout() {
      return Optional.ofNullable(watchdog);
    }

    @Override
    public boolean supervised() {
      return true;
    }
  }
}
