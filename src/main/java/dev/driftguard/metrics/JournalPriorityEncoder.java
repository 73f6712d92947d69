package dev.driftguard.metrics;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.EncoderBase;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Prefixes every line another encoder writes with the event's syslog priority in sd-daemon's form
 * ({@code <3>} error, {@code <4>} warning, {@code <6>} info, {@code <7>} debug), which journald
 * strips and stores as the entry's {@code PRIORITY}: {@code journalctl -p warning} then finds the
 * agent's warnings, and WARN and ERROR lines show highlighted. Every line of a multi-line event (a
 * stack trace) gets it, because journald makes each line its own entry.
 */
final class JournalPriorityEncoder extends EncoderBase<ILoggingEvent> {
  private final Encoder<ILoggingEvent> delegate;

  JournalPriorityEncoder(Encoder<ILoggingEvent> delegate) {
    this.delegate = delegate;
  }

  /** The encoder whose lines are prefixed. */
  Encoder<ILoggingEvent> delegate() {
    return delegate;
  }

  /** syslog(3) priorities, as sd-daemon(3) defines the prefixes. */
  static int priority(Level level) {
    if (level.isGreaterOrEqual(Level.ERROR)) {
      return 3;
    }
    if (level.isGreaterOrEqual(Level.WARN)) {
      return 4;
    }
    if (level.isGreaterOrEqual(Level.INFO)) {
      return 6;
    }
    return 7;
  }

  @Override
  public byte[] headerBytes() {
    return delegate.headerBytes();
  }

  @Override
  public byte[] encode(ILoggingEvent event) {
    byte[] text = delegate.encode(event);
    if (text == null || text.length == 0) {
      return text;
    }
    byte[] prefix = ("<" + priority(event.getLevel()) + ">").getBytes(StandardCharsets.US_ASCII);
    ByteArrayOutputStream out = new ByteArrayOutputStream(text.length + 2 * prefix.length);
    boolean lineStart = true;
    for (byte b : text) {
      if (lineStart) {
        out.write(prefix, 0, prefix.length);
      }
      out.write(b);
      // In UTF-8 a 0x0A byte is always a newline, never part of another character.
      lineStart = b == '\n';
    }
    return out.toByteArray();
  }

  @Override
  public byte[] footerBytes() {
    return delegate.footerBytes();
  }

  @Override
  public void start() {
    if (!delegate.isStarted()) {
      delegate.start();
    }
    super.start();
  }
}
