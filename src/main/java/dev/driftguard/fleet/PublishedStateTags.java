package dev.driftguard.fleet;

import dev.driftguard.fleet.FleetCoordinator.PublishedState;
import dev.driftguard.model.Digest;
import dev.driftguard.model.InvalidValueException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The EC2 tag contract of the state each agent publishes on its own instance, shared by the writer
 * (the agent) and the readers ({@code driftguard rollout-status}, peers' circuit breaker).
 * Specified in docs/design/published-state.md: five tags per service, {@code
 * driftguard:{service}:{field}}; an absent value is the empty string (EC2 allows empty tag values,
 * and overwriting needs only {@code ec2:CreateTags}).
 */
public final class PublishedStateTags {
  /** Every key the agent writes starts with this; the IAM policy allows only such keys. */
  public static final String PREFIX = "driftguard:";

  public static final String RUNNING = "running";
  public static final String PHASE = "phase";
  public static final String OUTCOME = "outcome";
  public static final String FAILED = "failed";
  public static final String UPDATED = "updated";

  /** The published fields, in the order they are written. */
  public static final List<String> FIELDS = List.of(RUNNING, PHASE, OUTCOME, FAILED, UPDATED);

  /** EC2's limit of user tags per resource ({@code aws:} tags do not count). */
  public static final int EC2_TAGS_PER_RESOURCE = 50;

  private PublishedStateTags() {}

  /** {@code driftguard:web_staging:running}. */
  public static String key(String service, String field) {
    return PREFIX + service + ":" + field;
  }

  /** The tags that publish {@code state} for {@code service}, keyed as in {@link #key}. */
  public static Map<String, String> toTags(String service, PublishedState state) {
    Map<String, String> tags = new LinkedHashMap<>();
    tags.put(key(service, RUNNING), state.running() == null ? "" : state.running().value());
    tags.put(key(service, PHASE), nullToEmpty(state.phase()));
    tags.put(key(service, OUTCOME), nullToEmpty(state.lastOutcome()));
    tags.put(key(service, FAILED), state.failed() == null ? "" : state.failed().value());
    tags.put(key(service, UPDATED), nullToEmpty(state.updatedAt()));
    return tags;
  }

  /**
   * Reads a service's published state back from an instance's tags.
   *
   * @return empty when the instance publishes nothing for the service (no phase tag); a digest that
   *     does not parse (a tag edited by hand) reads as absent
   */
  public static Optional<PublishedState> fromTags(String service, Map<String, String> tags) {
    String phase = tags.get(key(service, PHASE));
    if (phase == null) {
      return Optional.empty();
    }
    return Optional.of(
        new PublishedState(
            digest(tags.get(key(service, RUNNING))),
            phase,
            nullToEmpty(tags.get(key(service, OUTCOME))),
            digest(tags.get(key(service, FAILED))),
            nullToEmpty(tags.get(key(service, UPDATED)))));
  }

  /**
   * How many services one instance can publish with {@code otherTags} user tags already on it
   * (operators' own tags: Name, environment, cost centre...). Each service needs {@link
   * #FIELDS}{@code .size()} tags.
   */
  public static int servicesThatFit(int otherTags) {
    return Math.max(0, (EC2_TAGS_PER_RESOURCE - otherTags) / FIELDS.size());
  }

  private static Digest digest(String value) {
    if (value == null || value.isEmpty()) {
      return null;
    }
    try {
      return Digest.parse(value);
    } catch (InvalidValueException e) {
      return null;
    }
  }

  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }
}
