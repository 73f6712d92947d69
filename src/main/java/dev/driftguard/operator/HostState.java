package dev.driftguard.operator;

import java.time.Instant;

/**
 * What one host publishes about one service on its own instance's EC2 tags (DESIGN 4, tag contract
 * in {@code docs/design/published-state.md}), as read: the raw tag values, each null when the tag
 * is absent or empty. Kept raw so a host writing something unexpected still shows up in the table
 * instead of failing the whole command.
 *
 * @param instanceId the EC2 instance
 * @param running {@code driftguard:{service}:running}, the digest the host runs
 * @param phase {@code driftguard:{service}:phase}, {@code idle} or the deploy phase
 * @param outcome {@code driftguard:{service}:outcome}, how the last deploy ended
 * @param failed {@code driftguard:{service}:failed}, a digest the host rolled back
 * @param updated {@code driftguard:{service}:updated}, when the host last changed these tags
 */
record HostState(
    String instanceId,
    String running,
    String phase,
    String outcome,
    String failed,
    Instant updated) {

  /** Tag key prefix of {@code service}'s published state. */
  static String tagPrefix(String service) {
    return "driftguard:" + service + ":";
  }

  /** The tag that marks an instance as running {@code service}. */
  static String runningTag(String service) {
    return tagPrefix(service) + "running";
  }

  /** True when the host reports no deploy under way. A host that published no phase counts too. */
  boolean idle() {
    return phase == null || phase.equals("idle");
  }
}
