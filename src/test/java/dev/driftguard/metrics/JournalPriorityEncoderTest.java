package dev.driftguard.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.LoggingEvent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class JournalPriorityEncoderTest {
  private final LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
  private final Logger logger = context.getLogger("dev.driftguard.reconcile.ReconcileLoop");

  @Test
  void encode_prefixesTheLineWithTheSyslogPriorityOfItsLevel() {
    JournalPriorityEncoder encoder = encoder("%-5level %logger{0} - %msg%n");

    assertThat(line(encoder, Level.ERROR, "engine gone"))
        .isEqualTo("<3>ERROR ReconcileLoop - engine gone\n");
    assertThat(line(encoder, Level.WARN, "throttled"))
        .isEqualTo("<4>WARN  ReconcileLoop - throttled\n");
    assertThat(line(encoder, Level.INFO, "in sync"))
        .isEqualTo("<6>INFO  ReconcileLoop - in sync\n");
    assertThat(line(encoder, Level.DEBUG, "detail")).isEqualTo("<7>DEBUG ReconcileLoop - detail\n");
    assertThat(line(encoder, Level.TRACE, "more")).isEqualTo("<7>TRACE ReconcileLoop - more\n");
  }

  @Test
  void encode_prefixesEveryLineOfAMultiLineEvent_asJournaldStoresEachLineApart() {
    JournalPriorityEncoder encoder = encoder("%-5level %msg%n");

    assertThat(line(encoder, Level.WARN, "first\nsecond\nthird"))
        .isEqualTo("<4>WARN  first\n<4>second\n<4>third\n");
  }

  @Test
  void jsonLines_arePrefixedToo_soJournaldStoresTheObjectAsTheMessage() {
    JournalPriorityEncoder encoder = new JournalPriorityEncoder(LogOutput.jsonEncoder(context));
    encoder.setContext(context);
    encoder.start();

    String line = line(encoder, Level.WARN, "held");
    assertThat(line).startsWith("<4>{").endsWith("}\n");
    assertThat(line.lines()).hasSize(1);
  }

  @Test
  void stderrIsJournal_whenJournalStreamNamesTheSocketOnStderr(@TempDir Path dir) throws Exception {
    Path stderr = Files.createSymbolicLink(dir.resolve("2"), Path.of("socket:[123456]"));

    assertThat(LogOutput.stderrIsJournal("8:123456", stderr)).isTrue();
    assertThat(LogOutput.stderrIsJournal("8:999", stderr)).as("stderr went elsewhere").isFalse();
    assertThat(LogOutput.stderrIsJournal(null, stderr)).as("not under systemd").isFalse();
    assertThat(LogOutput.stderrIsJournal("garbage", stderr)).isFalse();
  }

  @Test
  void stderrIsJournal_trustsTheVariable_whereProcCannotTell(@TempDir Path dir) {
    assertThat(LogOutput.stderrIsJournal("8:123456", dir.resolve("no-such-fd"))).isTrue();
  }

  @Test
  void stderrIsJournal_notWhenStderrIsAPipeOrFile(@TempDir Path dir) throws Exception {
    Path stderr = Files.createSymbolicLink(dir.resolve("2"), Path.of("pipe:[123456]"));

    assertThat(LogOutput.stderrIsJournal("8:123456", stderr)).isFalse();
  }

  private JournalPriorityEncoder encoder(String pattern) {
    PatternLayoutEncoder text = new PatternLayoutEncoder();
    text.setContext(context);
    text.setPattern(pattern);
    text.start();
    JournalPriorityEncoder encoder = new JournalPriorityEncoder(text);
    encoder.setContext(context);
    encoder.start();
    return encoder;
  }

  private String line(JournalPriorityEncoder encoder, Level level, String message) {
    LoggingEvent event =
        new LoggingEvent(Logger.class.getName(), logger, level, message, null, null);
    return new String(encoder.encode(event), StandardCharsets.UTF_8);
  }
}
