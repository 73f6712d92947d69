package dev.driftguard.fleet;

import dev.driftguard.fleet.FleetCoordinator.PeerTarget;
import dev.driftguard.model.TargetState;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A target group's census as the lease table stores it: one {@code instanceId port state} line per
 * target, the state as {@link TargetState#label()}. About 30 bytes a target: 2,000 hosts fit in 60
 * KB of DynamoDB's 400 KB item.
 */
final class CensusText {
  private CensusText() {}

  static String format(List<PeerTarget> targets) {
    StringBuilder text = new StringBuilder(targets.size() * 32);
    for (PeerTarget t : targets) {
      text.append(t.instanceId())
          .append(' ')
          .append(t.port())
          .append(' ')
          .append(t.state().label())
          .append('\n');
    }
    return text.toString();
  }

  /** The targets, or empty when the text is not a census (written by hand or another version). */
  static Optional<List<PeerTarget>> parse(String text) {
    List<PeerTarget> targets = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.isEmpty()) {
        continue;
      }
      String[] f = line.split(" ");
      if (f.length != 3 || f[0].isEmpty()) {
        return Optional.empty();
      }
      try {
        targets.add(
            new PeerTarget(
                f[0], Integer.parseInt(f[1]), TargetState.valueOf(f[2].toUpperCase(Locale.ROOT))));
      } catch (IllegalArgumentException e) {
        return Optional.empty();
      }
    }
    return Optional.of(List.copyOf(targets));
  }
}
