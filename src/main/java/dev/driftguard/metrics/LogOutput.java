package dev.driftguard.metrics;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import dev.driftguard.config.LogFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
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

  /** Set once stderr turned out to be the journal; every encoder set later is prefixed too. */
  private static volatile boolean journalPriorities;

  /** What systemd sets to {@code DEVICE:INODE} of the journal stream on stdout and stderr. */
  static final String JOURNAL_STREAM = "JOURNAL_STREAM";

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
   * Under systemd, when stderr is the journal, prefixes every log line with its syslog priority
   * ({@link JournalPriorityEncoder}), so journald stores WARN and ERROR as warning and error.
   *
   * @param environment the process environment; {@code JOURNAL_STREAM} must name stderr
   * @return whether stderr is the journal, so lines now carry priorities
   */
  public static boolean prefixPrioritiesForJournal(Map<String, String> environment) {
    return prefixPrioritiesForJournal(environment, Path.of("/proc/self/fd/2"));
  }

  static boolean prefixPrioritiesForJournal(Map<String, String> environment, Path stderr) {
    if (!stderrIsJournal(environment.get(JOURNAL_STREAM), stderr)) {
      return false;
    }
    journalPriorities = true;
    forEachConsole(
        (context, console) ->
            console.getEncoder() instanceof JournalPriorityEncoder
                ? console.getEncoder()
                : forJournal(console.getEncoder()));
    return true;
  }

  /** Undoes {@link #prefixPrioritiesForJournal}, for tests that share the logger context. */
  static void stopPrefixingForJournal() {
    journalPriorities = false;
    forEachConsole(
        (context, console) ->
            console.getEncoder() instanceof JournalPriorityEncoder prefixed
                ? prefixed.delegate()
                : console.getEncoder());
  }

  /**
   * Whether {@code journalStream} ({@code DEVICE:INODE}) is the stream {@code stderr} points at, as
   * systemd's documentation asks: a variable inherited by a process whose stderr went elsewhere (a
   * pipe, a file) must not make it write priority prefixes there. Where {@code /proc} cannot tell,
   * the variable is trusted.
   */
  static boolean stderrIsJournal(String journalStream, Path stderr) {
    if (journalStream == null || !journalStream.matches("\\d+:\\d+")) {
      return false;
    }
    String inode = journalStream.substring(journalStream.indexOf(':') + 1);
    try {
      String target = Files.readSymbolicLink(stderr).toString();
      return target.equals("socket:[" + inode + "]");
    } catch (IOException | UnsupportedOperationException e) {
      return true;
    }
  }

  /**
   * Gives every console appender of the root logger a JSON encoder (again: idempotent).
   *
   * @return how many appenders now write JSON; 0 when logback is not the SLF4J backend
   */
  public static int useJson() {
    return forEachConsole((context, console) -> forJournal(jsonEncoder(context)));
  }

  /** The encoder as it should be here: prefixed when stderr is the journal. */
  private static Encoder<ILoggingEvent> forJournal(Encoder<ILoggingEvent> encoder) {
    if (!journalPriorities) {
      return encoder;
    }
    JournalPriorityEncoder prefixed = new JournalPriorityEncoder(encoder);
    prefixed.setContext(encoder.getContext());
    prefixed.start();
    return prefixed;
  }

  /** A new encoder for a console appender, given the logger context and the appender. */
  private interface EncoderChoice {
    Encoder<ILoggingEvent> encoderFor(
        LoggerContext context, ConsoleAppender<ILoggingEvent> console);
  }

  /**
   * Gives every console appender of the root logger the encoder {@code choice} picks.
   *
   * @return how many appenders were given one; 0 when logback is not the SLF4J backend
   */
  private static int forEachConsole(EncoderChoice choice) {
    ILoggerFactory factory = LoggerFactory.getILoggerFactory();
    if (!(factory instanceof LoggerContext context)) {
      return 0;
    }
    Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    int switched = 0;
    for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
      if (it.next() instanceof ConsoleAppender<ILoggingEvent> console) {
        Encoder<ILoggingEvent> encoder = choice.encoderFor(context, console);
        console.stop();
        console.setEncoder(encoder);
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
