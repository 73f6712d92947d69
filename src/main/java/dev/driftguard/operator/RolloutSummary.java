package dev.driftguard.operator;

import dev.driftguard.model.Digest;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Where a rollout stands: every host's published state measured against the desired digest. Pure,
 * so what {@code rollout-status} prints and the exit code a CI pipeline gates on are tested without
 * AWS.
 *
 * @param service the service
 * @param desired the digest pinned in SSM
 * @param hosts every host that publishes state for the service, by instance id
 */
record RolloutSummary(String service, Digest desired, List<HostState> hosts) {

  /** Where one host stands; each host is in exactly one. */
  enum Progress {
    /** Runs the desired digest and no deploy is under way. */
    ON_DESIRED("on desired"),
    /** A deploy is under way (any phase but idle). */
    IN_PROGRESS("in progress"),
    /**
     * The host rolled the desired digest back: it will not try it again until the desired value
     * changes, and its peers refuse it too (the circuit breaker, DESIGN 4).
     */
    ROLLED_BACK("rolled back"),
    /** Idle on another digest (or none): it has not started, or is waiting for capacity. */
    BEHIND("behind");

    private final String label;

    Progress(String label) {
      this.label = label;
    }

    String label() {
      return label;
    }
  }

  RolloutSummary {
    Objects.requireNonNull(desired, "desired");
    hosts = List.copyOf(hosts);
  }

  /**
   * Which {@link Progress} {@code host} is in. A rollback of the desired digest wins over
   * everything else because that host is done with it for good; a deploy under way wins over the
   * running digest because a host that already runs the new container is not finished until it is
   * registered and committed.
   */
  static Progress classify(HostState host, Digest desired) {
    if (desired.value().equals(host.failed())) {
      return Progress.ROLLED_BACK;
    }
    if (!host.idle()) {
      return Progress.IN_PROGRESS;
    }
    if (desired.value().equals(host.running())) {
      return Progress.ON_DESIRED;
    }
    return Progress.BEHIND;
  }

  Progress progress(HostState host) {
    return classify(host, desired);
  }

  /** How many hosts are in each {@link Progress}, every one listed (zero included), in order. */
  Map<Progress, Integer> counts() {
    Map<Progress, Integer> counts = new EnumMap<>(Progress.class);
    for (Progress p : Progress.values()) {
      counts.put(p, 0);
    }
    hosts.forEach(h -> counts.merge(progress(h), 1, Integer::sum));
    return counts;
  }

  /** Every host runs the desired digest and is idle; false when no host publishes state. */
  boolean converged() {
    return !hosts.isEmpty() && hosts.stream().allMatch(h -> progress(h) == Progress.ON_DESIRED);
  }

  /** At least one host rolled the desired digest back. */
  boolean rolledBack() {
    return hosts.stream().anyMatch(h -> progress(h) == Progress.ROLLED_BACK);
  }

  /** Per-host rows: INSTANCE, RUNNING, PHASE, OUTCOME, UPDATED and where the host stands. */
  String table(Instant now) {
    Table table = new Table("INSTANCE", "RUNNING", "PHASE", "OUTCOME", "UPDATED", "STATE");
    for (HostState h : hosts) {
      table.row(
          h.instanceId(),
          Text.shortDigest(h.running()),
          h.phase(),
          h.outcome(),
          Text.age(h.updated(), now),
          progress(h).label());
    }
    return table.render();
  }

  /**
   * One line: {@code web: 4 hosts: 2 on desired, 1 in progress, 1 rolled back, 0 behind (desired
   * ab12cd34ef56)}, or why there is nothing to count.
   */
  String line() {
    if (hosts.isEmpty()) {
      return service
          + ": no running instance publishes state for this service (no EC2 tag "
          + HostState.runningTag(service)
          + "); desired "
          + Text.shortDigest(desired.value());
    }
    StringBuilder line =
        new StringBuilder(service)
            .append(": ")
            .append(hosts.size())
            .append(hosts.size() == 1 ? " host: " : " hosts: ");
    String sep = "";
    for (Map.Entry<Progress, Integer> e : counts().entrySet()) {
      line.append(sep).append(e.getValue()).append(' ').append(e.getKey().label());
      sep = ", ";
    }
    return line.append(" (desired ")
        .append(Text.shortDigest(desired.value()))
        .append(')')
        .toString();
  }

  /** The hosts that rolled the desired digest back, one explanatory line each. */
  List<String> rollbackLines() {
    return hosts.stream()
        .filter(h -> progress(h) == Progress.ROLLED_BACK)
        .map(
            h ->
                h.instanceId()
                    + " rolled back "
                    + desired.value()
                    + (h.outcome() == null ? "" : " (outcome " + h.outcome() + ")")
                    + " and runs "
                    + Text.shortDigest(h.running())
                    + "; the other hosts refuse this digest now")
        .toList();
  }
}
