package dev.driftguard.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * The lines one class logs while a test runs, formatted ({@code WARN message}).
 *
 * <pre>{@code
 * try (LogCapture log = LogCapture.of(FileStateStore.class)) {
 *   ...
 *   assertThat(log.lines()).anyMatch(l -> l.startsWith("WARN") && l.contains("i-0other"));
 * }
 * }</pre>
 */
public final class LogCapture implements AutoCloseable {
  private final Logger logger;
  private final Level level;
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

  private LogCapture(Class<?> type) {
    this.logger = (Logger) LoggerFactory.getLogger(type);
    this.level = logger.getLevel();
    appender.start();
    logger.setLevel(Level.DEBUG);
    logger.addAppender(appender);
  }

  public static LogCapture of(Class<?> type) {
    return new LogCapture(type);
  }

  /** Every line so far, as {@code LEVEL message}. */
  public synchronized List<String> lines() {
    return appender.list.stream().map(e -> e.getLevel() + " " + e.getFormattedMessage()).toList();
  }

  /** The lines at {@code level} ({@code WARN}, {@code INFO}, ...), message only. */
  public List<String> at(String level) {
    return lines().stream()
        .filter(l -> l.startsWith(level + " "))
        .map(l -> l.substring(level.length() + 1))
        .toList();
  }

  @Override
  public void close() {
    logger.detachAppender(appender);
    logger.setLevel(level);
  }
}
