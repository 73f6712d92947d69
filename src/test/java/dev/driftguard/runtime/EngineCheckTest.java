package dev.driftguard.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.driftguard.runtime.ContainerRuntime.EngineInfo;
import dev.driftguard.testing.FakeContainerRuntime;
import java.time.Clock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class EngineCheckTest {
  private final FakeContainerRuntime runtime = new FakeContainerRuntime(Clock.systemUTC());
  private final Logger logger = (Logger) LoggerFactory.getLogger(EngineCheck.class);
  private final ListAppender<ILoggingEvent> logged = new ListAppender<>();

  private Level levelBefore;

  @BeforeEach
  void capture() {
    levelBefore = logger.getLevel();
    logger.setLevel(Level.INFO); // tests log WARN and up by default
    logged.start();
    logger.addAppender(logged);
  }

  @AfterEach
  void release() {
    logger.detachAppender(logged);
    logger.setLevel(levelBefore);
  }

  @Test
  void checkOnce_withoutLiveRestore_warnsOnceSayingHowToFixIt() {
    runtime.engine(new EngineInfo("20.10.24", false));

    assertThat(EngineCheck.checkOnce(runtime)).contains(new EngineInfo("20.10.24", false));

    assertThat(logged.list)
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.getLevel()).isEqualTo(Level.WARN);
              assertThat(e.getFormattedMessage())
                  .contains(
                      "20.10.24",
                      "without live-restore",
                      "\"live-restore\": true",
                      "/etc/docker/daemon.json");
            });
  }

  @Test
  void checkOnce_withLiveRestore_saysSoAtInfo() {
    runtime.engine(new EngineInfo("24.0.7", true));

    EngineCheck.checkOnce(runtime);

    assertThat(logged.list)
        .singleElement()
        .satisfies(e -> assertThat(e.getLevel()).isEqualTo(Level.INFO));
  }

  @Test
  void checkOnce_whenTheEngineDoesNotAnswer_warnsThatItCannotTell() {
    runtime.failNext(
        "info", new ContainerRuntimeException("info", "the Docker engine is unreachable", null));

    assertThat(EngineCheck.checkOnce(runtime)).isEmpty();

    assertThat(logged.list)
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.getLevel()).isEqualTo(Level.WARN);
              assertThat(e.getFormattedMessage()).contains("cannot check", "unreachable");
            });
  }

  @Test
  void warning_isEmptyWithLiveRestore() {
    assertThat(EngineCheck.warning(new EngineInfo("24.0.7", true))).isEmpty();
  }
}
