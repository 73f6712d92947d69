package dev.driftguard.sim;

import java.util.Arrays;

/** Calls and throttled calls of one API, per virtual second. */
final class ApiStats {
  final String api;
  final ApiLimit limit;
  private int[] perSecond = new int[64];
  private int[] throttledPerSecond = new int[64];
  long calls;
  long throttled;
  private int lastSecond;

  ApiStats(String api, ApiLimit limit) {
    this.api = api;
    this.limit = limit;
  }

  void record(long nowMillis, boolean wasThrottled) {
    int second = (int) (nowMillis / 1000);
    if (second >= perSecond.length) {
      int size = Math.max(second + 1, perSecond.length * 2);
      perSecond = Arrays.copyOf(perSecond, size);
      throttledPerSecond = Arrays.copyOf(throttledPerSecond, size);
    }
    perSecond[second]++;
    calls++;
    if (wasThrottled) {
      throttledPerSecond[second]++;
      throttled++;
    }
    lastSecond = Math.max(lastSecond, second);
  }

  /** Calls in virtual second {@code second}. */
  int at(int second) {
    return second < perSecond.length ? perSecond[second] : 0;
  }

  int lastSecond() {
    return lastSecond;
  }

  /** Mean calls a second over {@code [0, seconds)}. */
  double mean(int seconds) {
    return seconds <= 0 ? 0 : (double) calls / seconds;
  }

  int peak() {
    int peak = 0;
    for (int i = 0; i <= lastSecond && i < perSecond.length; i++) {
      peak = Math.max(peak, perSecond[i]);
    }
    return peak;
  }
}
