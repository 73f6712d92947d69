package dev.driftguard.operator;

import dev.driftguard.model.Digest;
import dev.driftguard.model.ImageRef;
import dev.driftguard.model.InvalidValueException;
import dev.driftguard.model.Sleeper;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * {@code driftguard rollout-status SERVICE [--wait]}: the fleet's progress towards the desired
 * digest, from the state every agent publishes on its own instance's tags.
 *
 * <p>Results (exit codes), so a CI pipeline can gate on them: {@link Result#OK} (0) when every host
 * runs the desired digest and is idle; {@link Result#ROLLED_BACK} (3) as soon as any host rolled
 * the desired digest back; {@link Result#TIMED_OUT} (4) when {@code --wait} ran out of time; {@link
 * Result#NOT_CONVERGED} (2) without {@code --wait} when the rollout is not finished; {@link
 * Result#ERROR} (1) when the state cannot be read, or when the desired value changed while waiting
 * (someone else pinned: the rollout this pipeline waited for is over).
 *
 * <p>Every read is one {@code GetParameters} and one paginated {@code DescribeInstances}; the
 * interval is at least {@link #MIN_INTERVAL} because SSM's throughput is shared with every agent of
 * the account (DESIGN 4, API budget).
 */
final class RolloutStatusCommand {
  static final Duration MIN_INTERVAL = Duration.ofSeconds(5);
  static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);
  static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(15);

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("HH:mm:ss'Z'").withZone(ZoneOffset.UTC);

  private final ParameterStore parameters;
  private final FleetState fleet;
  private final Clock clock;
  private final Sleeper sleeper;
  private final PrintStream out;
  private final PrintStream err;

  RolloutStatusCommand(
      ParameterStore parameters,
      FleetState fleet,
      Clock clock,
      Sleeper sleeper,
      PrintStream out,
      PrintStream err) {
    this.parameters = parameters;
    this.fleet = fleet;
    this.clock = clock;
    this.sleeper = sleeper;
    this.out = out;
    this.err = err;
  }

  /**
   * Prints the rollout once, or with {@code wait} follows it until it ends.
   *
   * @throws OperatorException when the state cannot be read (exit 1)
   */
  Result run(ServiceTarget target, boolean wait, Duration timeout, Duration interval)
      throws InterruptedException {
    if (interval.compareTo(MIN_INTERVAL) < 0) {
      throw new UsageException("--interval must be at least 5s (SSM's API budget is shared)");
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new UsageException("--timeout must be positive");
    }
    Instant start = clock.instant();
    Instant deadline = start.plus(timeout);
    String pinned = null;
    Map<String, HostState> seen = null;
    while (true) {
      RolloutSummary summary;
      String value;
      try {
        value = desiredValue(target);
        summary =
            new RolloutSummary(
                target.service(), desiredDigest(target, value), fleet.hosts(target.service()));
      } catch (AwsCallException e) {
        if (!wait || !e.isTransient()) {
          throw e;
        }
        err.println("warning: " + e.getMessage() + "; trying again in " + Text.compact(interval));
        if (!sleepUntilNext(deadline, interval)) {
          return timedOut(timeout, null);
        }
        continue;
      }
      if (pinned == null) {
        pinned = value;
        out.println("desired:   " + value + " (" + target.parameter() + ")");
        out.println();
        out.print(summary.table(clock.instant()));
        out.println();
        out.println(summary.line());
      } else if (!pinned.equals(value)) {
        throw new OperatorException(
            "the desired value changed while waiting: now "
                + value
                + " (was "
                + pinned
                + "); someone pinned again, so this rollout is over");
      } else {
        printChanges(summary, seen);
      }
      seen = index(summary);
      if (summary.rolledBack()) {
        summary.rollbackLines().forEach(l -> out.println("ROLLED BACK: " + l));
        out.println(
            "roll the fleet back by pinning the previous value (printed by driftguard pin, or in"
                + " the parameter's SSM history)");
        return Result.ROLLED_BACK;
      }
      if (summary.converged()) {
        Duration took = Duration.between(start, clock.instant());
        out.println(
            "converged: every host runs "
                + summary.desired().shortForm()
                + (took.isZero() ? "" : " after " + Text.compact(took)));
        return Result.OK;
      }
      if (!wait) {
        return Result.NOT_CONVERGED;
      }
      if (!sleepUntilNext(deadline, interval)) {
        return timedOut(timeout, summary);
      }
    }
  }

  /** Sleeps until the next read; false when the deadline has passed and no read is left. */
  private boolean sleepUntilNext(Instant deadline, Duration interval) throws InterruptedException {
    Duration left = Duration.between(clock.instant(), deadline);
    if (left.isNegative() || left.isZero()) {
      return false;
    }
    sleeper.sleep(left.compareTo(interval) < 0 ? left : interval);
    return true;
  }

  private Result timedOut(Duration timeout, RolloutSummary last) {
    if (last != null) {
      out.println();
      out.print(last.table(clock.instant()));
      out.println(last.line());
    }
    out.println("timed out after " + Text.compact(timeout) + " before every host converged");
    return Result.TIMED_OUT;
  }

  private String desiredValue(ServiceTarget target) {
    ParameterStore.StoredParameter parameter =
        parameters
            .get(target.parameter())
            .orElseThrow(
                () ->
                    new OperatorException(
                        "SSM parameter "
                            + target.parameter()
                            + " does not exist: nothing is pinned for "
                            + target.service()
                            + " (pin with driftguard pin, or name the parameter with"
                            + " --parameter)"));
    if (parameter.isSecure()) {
      throw new OperatorException(
          target.parameter() + " is a SecureString parameter, not a desired-state record");
    }
    return parameter.value().strip();
  }

  private static Digest desiredDigest(ServiceTarget target, String value) {
    try {
      return ImageRef.parse(value).digest();
    } catch (InvalidValueException e) {
      throw new OperatorException(
          "the desired value of "
              + target.service()
              + " in "
              + target.parameter()
              + " is one the agents reject ("
              + e.getMessage()
              + "); they keep running what they run. Pin a valid image with driftguard pin");
    }
  }

  /** One line per host that appeared, changed or disappeared since the last read. */
  private void printChanges(RolloutSummary summary, Map<String, HostState> before) {
    String now = TIME.format(clock.instant());
    Map<String, HostState> after = index(summary);
    boolean changed = false;
    for (HostState host : summary.hosts()) {
      HostState old = before.get(host.instanceId());
      if (old == null || !sameState(old, host)) {
        out.println(
            now
                + "  "
                + host.instanceId()
                + "  running "
                + Text.shortDigest(host.running())
                + "  phase "
                + Objects.requireNonNullElse(host.phase(), Table.NONE)
                + "  outcome "
                + Objects.requireNonNullElse(host.outcome(), Table.NONE)
                + "  ("
                + summary.progress(host).label()
                + (old == null ? ", new host" : "")
                + ")");
        changed = true;
      }
    }
    for (String gone : before.keySet()) {
      if (!after.containsKey(gone)) {
        out.println(now + "  " + gone + "  gone (no longer running, or its tags were removed)");
        changed = true;
      }
    }
    if (changed) {
      out.println(now + "  " + summary.line());
    }
  }

  /** Same published state; the updated time alone is no change worth a line. */
  private static boolean sameState(HostState a, HostState b) {
    return Objects.equals(a.running(), b.running())
        && Objects.equals(a.phase(), b.phase())
        && Objects.equals(a.outcome(), b.outcome())
        && Objects.equals(a.failed(), b.failed());
  }

  private static Map<String, HostState> index(RolloutSummary summary) {
    Map<String, HostState> byId = new HashMap<>();
    summary.hosts().forEach(h -> byId.put(h.instanceId(), h));
    return byId;
  }
}
