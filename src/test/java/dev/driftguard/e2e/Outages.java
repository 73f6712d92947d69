package dev.driftguard.e2e;

import dev.driftguard.testing.aws.TargetGroup;
import dev.driftguard.testing.aws.TargetGroup.StateChange;
import dev.driftguard.testing.aws.TargetGroup.Target;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The times each host was out of service, replayed from a target group's timeline, with the same
 * definition as {@link TargetGroup#maxHostsOutOfService}: a host is out of service from the moment
 * it has no {@code healthy} target any more (after having had one) until one of its targets is
 * healthy again. A start-first host has two targets and is in service while either is healthy; the
 * initial join (never healthy yet) is not an outage. Kept per interval so a test can ask about one
 * phase of a longer run.
 */
final class Outages {
  /** One host out of service from {@code from} to {@code to} ({@code to} null: still out). */
  record Outage(String host, Instant from, Instant to) {
    Duration length(Instant end) {
      return Duration.between(from, to == null ? end : to);
    }

    boolean overlaps(Instant start, Instant end) {
      return from.isBefore(end) && (to == null || to.isAfter(start));
    }
  }

  private final List<Outage> outages;

  private Outages(List<Outage> outages) {
    this.outages = List.copyOf(outages);
  }

  static Outages of(List<StateChange> timeline) {
    Map<Target, String> state = new HashMap<>();
    Set<String> wasInService = new HashSet<>();
    Map<String, Instant> since = new HashMap<>();
    List<Outage> outages = new ArrayList<>();
    for (StateChange c : timeline) {
      state.put(c.target(), c.to());
      if (c.to().equals(TargetGroup.HEALTHY)) {
        wasInService.add(c.target().id());
      }
      Set<String> in = new HashSet<>();
      state.forEach(
          (t, s) -> {
            if (s.equals(TargetGroup.HEALTHY)) {
              in.add(t.id());
            }
          });
      for (String host : wasInService) {
        boolean out = !in.contains(host);
        if (out) {
          since.putIfAbsent(host, c.at());
        } else if (since.containsKey(host)) {
          outages.add(new Outage(host, since.remove(host), c.at()));
        }
      }
    }
    since.forEach((host, from) -> outages.add(new Outage(host, from, null)));
    outages.sort(Comparator.comparing(Outage::from));
    return new Outages(outages);
  }

  /** The outages that overlap {@code [start, end)}. */
  List<Outage> between(Instant start, Instant end) {
    return outages.stream().filter(o -> o.overlaps(start, end)).toList();
  }

  /** The most hosts out of service at one moment within {@code [start, end)}. */
  int maxConcurrent(Instant start, Instant end) {
    List<Outage> in = between(start, end);
    int max = 0;
    for (Outage o : in) {
      // The count peaks at the start of some outage (or at the window's start).
      Instant t = o.from().isBefore(start) ? start : o.from();
      int n =
          (int)
              in.stream()
                  .filter(x -> !x.from().isAfter(t) && (x.to() == null || x.to().isAfter(t)))
                  .count();
      max = Math.max(max, n);
    }
    return max;
  }

  /** The longest single outage overlapping the window, clipped to it. */
  Duration longest(Instant start, Instant end) {
    Duration longest = Duration.ZERO;
    for (Outage o : between(start, end)) {
      Instant from = o.from().isBefore(start) ? start : o.from();
      Instant to = o.to() == null || o.to().isAfter(end) ? end : o.to();
      Duration d = Duration.between(from, to);
      longest = d.compareTo(longest) > 0 ? d : longest;
    }
    return longest;
  }
}
