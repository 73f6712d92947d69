package dev.driftguard.sim;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.PriorityQueue;

/**
 * Virtual time for the fleet simulator: one thread, a priority queue of events ordered by virtual
 * time (ties in the order they were scheduled), and no real sleeps. Time is in milliseconds since
 * {@link #EPOCH}; an event runs at its time and may schedule more.
 */
public final class Scheduler {
  /** Virtual time zero: any fixed instant works; this one reads well in reports. */
  public static final Instant EPOCH = Instant.parse("2026-01-01T00:00:00Z");

  private record Event(long at, long seq, Runnable action) implements Comparable<Event> {
    @Override
    public int compareTo(Event o) {
      int c = Long.compare(at, o.at);
      return c != 0 ? c : Long.compare(seq, o.seq);
    }
  }

  private final PriorityQueue<Event> queue = new PriorityQueue<>();
  private long now;
  private long seq;
  private long events;
  private boolean stopped;

  /** Virtual milliseconds since {@link #EPOCH}. */
  public long now() {
    return now;
  }

  public Instant instant() {
    return EPOCH.plusMillis(now);
  }

  /** Events run so far. */
  public long events() {
    return events;
  }

  /** Runs {@code action} at virtual time {@code at} (now, if {@code at} has passed). */
  public void at(long at, Runnable action) {
    queue.add(new Event(Math.max(at, now), seq++, action));
  }

  public void after(Duration delay, Runnable action) {
    at(now + Math.max(0, delay.toMillis()), action);
  }

  /** Runs events until none is left before {@code end} (virtual ms); time ends at {@code end}. */
  public void runUntil(long end) {
    while (!stopped && !queue.isEmpty() && queue.peek().at() <= end) {
      Event e = queue.poll();
      now = e.at();
      events++;
      e.action().run();
    }
    if (!stopped) {
      now = Math.max(now, end);
    }
  }

  /** Ends {@link #runUntil} after the event that is running. */
  public void stop() {
    stopped = true;
  }

  /** A clock reading virtual time plus {@code skewMillis}: one host's clock. */
  public Clock clock(long skewMillis) {
    return new HostClock(this, skewMillis);
  }

  private static final class HostClock extends Clock {
    private final Scheduler scheduler;
    private final long skew;

    HostClock(Scheduler scheduler, long skew) {
      this.scheduler = scheduler;
      this.skew = skew;
    }

    @Override
    public Instant instant() {
      return EPOCH.plusMillis(scheduler.now + skew);
    }

    @Override
    public long millis() {
      return EPOCH.toEpochMilli() + scheduler.now + skew;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }
}
