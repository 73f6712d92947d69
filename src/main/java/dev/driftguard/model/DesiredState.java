package dev.driftguard.model;

/**
 * What a service should run, as read from its desired-state record. Only {@link Pinned} ever causes
 * a deploy: a rejected or unavailable record leaves the running container untouched.
 */
public sealed interface DesiredState {

  /** A valid record: run this image. {@code version} is the source's version (SSM) or 0. */
  record Pinned(ImageRef image, long version) implements DesiredState {}

  /**
   * A record that exists but must not be acted on. {@code message} says what is wrong and how to
   * fix it; {@code fingerprint} identifies the offending value so it is reported once, not once per
   * poll.
   */
  record Rejected(RejectReason reason, String message, String fingerprint)
      implements DesiredState {}

  /** The source could not be read this time (outage, throttling, permissions). */
  record Unavailable(String cause, boolean throttled) implements DesiredState {}

  /** Why a record was rejected; the label of {@code driftguard_desired_state_rejected_total}. */
  enum RejectReason {
    MISSING,
    EMPTY,
    OVERSIZED,
    TAG_WITHOUT_DIGEST,
    MALFORMED,
    REGISTRY_NOT_ALLOWED,
    UNSUPPORTED_RECORD_VERSION;

    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }
}
