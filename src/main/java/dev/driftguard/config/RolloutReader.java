package dev.driftguard.config;

import dev.driftguard.model.RolloutSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a service's {@code rollout:} section: the strategy (stop-first, or start-first on a second
 * host port), how many hosts of the fleet may be out of service at once, whether a failed container
 * is removed, and the command run once per rollout. A start-first service must say which free port
 * its new container takes, and may publish only the one port that moves there.
 */
final class RolloutReader {
  static final String[] KEYS = {"strategy", "maxUnavailable", "rollback", "nextPort", "runOnce"};

  /** A host count or a percentage; the range is checked after the match. */
  private static final Pattern MAX_UNAVAILABLE = Pattern.compile("(\\d{1,9})(%?)");

  private RolloutReader() {}

  /**
   * The rollout settings, or null when they have an error (reported). {@code ports} are the
   * service's published ports, of which start-first allows one.
   */
  static RolloutSpec read(YamlMap rollout, List<PublishedPort> ports) {
    Problems problems = rollout.problems();
    RolloutSpec.Strategy strategy = rollout.oneOf("strategy", RolloutSpec.Strategy.STOP_FIRST);

    int maxUnavailable = 1;
    boolean percent = false;
    Optional<YamlMap.Text> max = rollout.text("maxUnavailable");
    if (max.isPresent()) {
      Matcher m = MAX_UNAVAILABLE.matcher(max.get().value().strip());
      int n = m.matches() ? Integer.parseInt(m.group(1)) : -1;
      percent = m.matches() && !m.group(2).isEmpty();
      if (n < 1 || (percent && n > 100)) {
        problems.add(
            max.get().path(),
            "'"
                + max.get().value()
                + "' is not a host count (1 or more) or a percentage"
                + " (1%..100%)");
      } else {
        maxUnavailable = n;
      }
    }
    boolean rollback = rollout.bool("rollback").orElse(true);

    int nextPort = 0;
    if (strategy == RolloutSpec.Strategy.START_FIRST) {
      if (!rollout.has("nextPort")) {
        problems.add(
            rollout.path("nextPort"),
            "required for start-first: the second host port the new container is published on"
                + " while the old one still serves");
      } else {
        nextPort = rollout.port("nextPort").orElse(0);
      }
      if (ports.size() > 1) {
        problems.add(
            rollout.path("strategy"),
            "start-first needs a service that publishes one port (this one publishes "
                + ports.size()
                + "): only that port moves to nextPort while both containers run");
      }
    } else if (strategy != null && rollout.has("nextPort")) {
      problems.add(rollout.path("nextPort"), "is used only by the start-first strategy");
    }
    if (strategy == null || (strategy == RolloutSpec.Strategy.START_FIRST && nextPort == 0)) {
      return null;
    }
    List<String> runOnce = new ArrayList<>();
    if (rollout.has("runOnce") && !rollout.isList("runOnce")) {
      problems.add(
          rollout.path("runOnce"),
          "must be a list of strings, e.g. [\"bin/rails\", \"db:migrate\"]");
    } else if (rollout.has("runOnce")) {
      rollout.texts("runOnce").forEach(t -> runOnce.add(t.value()));
    }
    int secondPort = nextPort;
    int count = maxUnavailable;
    boolean isPercent = percent;
    return rollout.construct(
        () -> new RolloutSpec(strategy, count, isPercent, rollback, secondPort, runOnce));
  }
}
