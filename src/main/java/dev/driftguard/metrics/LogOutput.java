package dev.driftguard.metrics;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import dev.driftguard.config.LogFormat;
import java.util.Iterator;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

/**
 * Switches the agent's log lines to one JSON object per line ({@code --log-format json} or {@code
 * agent.log.format: json}). Done in code, on whatever logback configuration is loaded, so an
 * operator's own logback.xml keeps its levels (the SDK and HTTP loggers stay capped at WARN, as at
 * DEBUG they would print decrypted secrets) and only the console appenders change encoder.
 *
 * <p>The fields are logback's {@link JsonEncoder}'s: {@code timestamp} (epoch milliseconds), {@code
 * level}, {@code threadName}, {@code loggerName}, {@code mdc}, {@code formattedMessage} (the line
 * as text output would show it, bracketed context included) and {@code throwable}.
 */
public final class LogOutput {
  /** Set once the command line chose a format; the configuration file then has no say. */
  private static volatile boolean chosenOnCommandLine;

  private LogOutput() {}

  /** Applies {@code --log-format}; it wins over {@code agent.log.format}. */
  public static void chooseOnCommandLine(LogFormat format) {
    chosenOnCommandLine = true;
    if (format == LogFormat.JSON) {
      useJson();
    }
  }

  /** Applies {@code agent.log.format}, unless the command line chose a format already. */
  public static void applyConfigured(LogFormat format) {
    if (!chosenOnCommandLine && format == LogFormat.JSON) {
      useJson();
    }
  }

  /**
   * Gives every console appender of the root logger a JSON encoder (again: idempotent).
   *
   * @return how many appenders now write JSON; 0 when logback is not the SLF4J backend
   */
  public static int useJson() {
    ILoggerFactory factory = LoggerFactory.getILoggerFactory();
    if (!(factory instanceof LoggerContext context)) {
      return 0;
    }
    Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    int switched = 0;
    for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
      if (it.next() instanceof ConsoleAppender<ILoggingEvent> console) {
        console.stop();
        console.setEncoder(jsonEncoder(context));
        console.start();
        switched++;
      }
    }
    return switched;
  }

  /** The encoder: one object per line, the formatted message rather than pattern and arguments. */
  static JsonEncoder jsonEncoder(LoggerContext context) {
    JsonEncoder encoder = new JsonEncoder();
    encoder.setContext(context);
    encoder.setWithSequenceNumber(false);
    encoder.setWithNanoseconds(false);
    encoder.setWithContext(false);
    encoder.setWithMessage(false);
    encoder.setWithArguments(false);
    encoder.setWithFormattedMessage(true);
    encoder.start();
    return encoder;
  }
}
