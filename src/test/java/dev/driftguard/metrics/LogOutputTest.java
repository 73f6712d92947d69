package dev.driftguard.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class LogOutputTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void jsonLine_hasLevelLoggerAndTheFormattedMessage() throws Exception {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    Logger logger = context.getLogger("dev.driftguard.reconcile.Deployer");
    LoggingEvent event =
        new LoggingEvent(
            Logger.class.getName(),
            logger,
            Level.INFO,
            "{} deploy succeeded in {}s",
            null,
            new Object[] {"[service=web, digest=sha256:ab12cd34ef56…, phase=IDLE]", 12});

    byte[] bytes = LogOutput.jsonEncoder(context).encode(event);
    String line = new String(bytes, StandardCharsets.UTF_8);

    assertThat(line).endsWith("\n");
    assertThat(line.strip()).doesNotContain("\n");
    JsonNode json = JSON.readTree(line);
    assertThat(json.path("level").asText()).isEqualTo("INFO");
    assertThat(json.path("loggerName").asText()).isEqualTo("dev.driftguard.reconcile.Deployer");
    assertThat(json.path("formattedMessage").asText())
        .isEqualTo(
            "[service=web, digest=sha256:ab12cd34ef56…, phase=IDLE] deploy succeeded in 12s");
    assertThat(json.path("timestamp").isNumber()).isTrue();
    assertThat(json.has("arguments")).as("the message is given once, formatted").isFalse();
  }

  @Test
  void useJson_switchesTheConsoleAppendersOfTheRootLogger() {
    ConsoleAppender<ILoggingEvent> console = rootConsole();
    Encoder<ILoggingEvent> original = console.getEncoder();
    try {
      assertThat(LogOutput.useJson()).isEqualTo(1);
      assertThat(console.getEncoder())
          .isInstanceOf(ch.qos.logback.classic.encoder.JsonEncoder.class);
      assertThat(console.isStarted()).isTrue();
    } finally {
      console.stop();
      console.setEncoder(original);
      console.start();
    }
  }

  @Test
  void prefixPrioritiesForJournal_prefixesTheConsole_andJsonChosenLaterToo(@TempDir Path dir)
      throws Exception {
    ConsoleAppender<ILoggingEvent> console = rootConsole();
    Encoder<ILoggingEvent> original = console.getEncoder();
    Path stderr = Files.createSymbolicLink(dir.resolve("2"), Path.of("socket:[77]"));
    try {
      assertThat(LogOutput.prefixPrioritiesForJournal(Map.of("JOURNAL_STREAM", "8:77"), stderr))
          .isTrue();
      assertThat(console.getEncoder()).isInstanceOf(JournalPriorityEncoder.class);
      LogOutput.prefixPrioritiesForJournal(Map.of("JOURNAL_STREAM", "8:77"), stderr);
      assertThat(((JournalPriorityEncoder) console.getEncoder()).delegate())
          .as("wrapped once")
          .isSameAs(original);

      LogOutput.useJson();
      assertThat(console.getEncoder()).isInstanceOf(JournalPriorityEncoder.class);
      assertThat(((JournalPriorityEncoder) console.getEncoder()).delegate())
          .isInstanceOf(ch.qos.logback.classic.encoder.JsonEncoder.class);
    } finally {
      LogOutput.stopPrefixingForJournal();
      console.stop();
      console.setEncoder(original);
      console.start();
    }
  }

  @Test
  void prefixPrioritiesForJournal_withoutJournalStream_changesNothing() {
    assertThat(LogOutput.prefixPrioritiesForJournal(Map.of(), Path.of("/proc/self/fd/2")))
        .isFalse();
  }

  /** The console appender of the test logback configuration's root logger. */
  @SuppressWarnings("unchecked")
  private static ConsoleAppender<ILoggingEvent> rootConsole() {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    return (ConsoleAppender<ILoggingEvent>)
        context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getAppender("STDERR");
  }
}
