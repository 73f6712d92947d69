package dev.driftguard.sim;

import java.util.ArrayDeque;

/**
 * A value whose writes become visible to readers only after a delay: eventual consistency as AWS
 * describes it for EC2 tags, target health and Parameter Store. Writes are visible in the order
 * they were made (a later write never shows before an earlier one).
 */
final class Lagged<T> {
  private record Pending<T>(long visibleAt, T value) {}

  private T visible;
  private T truth;
  private final ArrayDeque<Pending<T>> pending = new ArrayDeque<>(2);

  Lagged(T initial) {
    this.visible = initial;
    this.truth = initial;
  }

  /** Writes {@code value} at {@code now}; readers see it from {@code now + delay}. */
  void write(long now, long delay, T value) {
    long visibleAt = now + Math.max(0, delay);
    if (!pending.isEmpty()) {
      visibleAt = Math.max(visibleAt, pending.peekLast().visibleAt());
    }
    truth = value;
    if (visibleAt <= now && pending.isEmpty()) {
      visible = value;
      return;
    }
    pending.addLast(new Pending<>(visibleAt, value));
  }

  /** What a reader sees at {@code now}. */
  T read(long now) {
    while (!pending.isEmpty() && pending.peekFirst().visibleAt() <= now) {
      visible = pending.pollFirst().value();
    }
    return visible;
  }

  /** The latest write, whether visible or not. */
  T truth() {
    return truth;
  }
}
