package dev.driftguard.testing;

import dev.driftguard.model.Sleeper;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** Virtual time: a clock that only moves when something sleeps, so waits cost no real time. */
public final class FakeTime extends Clock implements Sleeper {
  private Instant now;
  private Duration slept = Duration.ZERO;

  public FakeTime(Instant start) {
    this.now = start;
  }

  public static FakeTime startingAt(String isoInstant) {
    return new FakeTime(Instant.parse(isoInstant));
  }

  @Override
  public synchronized void sleep(Duration duration) {
    now = now.plus(duration);
    slept = slept.plus(duration);
  }

  public synchronized void advance(Duration duration) {
    now = now.plus(duration);
  }

  public synchronized Duration slept() {
    return slept;
  }

  @Override
  public synchronized Instant instant() {
    return now;
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
