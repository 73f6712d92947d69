package dev.driftguard.operator;

import dev.driftguard.model.DesiredRecord;
import dev.driftguard.model.DesiredState;
import dev.driftguard.model.Digest;
import java.util.Optional;
import java.util.Set;

/** Builds the value {@code driftguard pin} writes and checks it as the agent will. Pure. */
final class PinValue {
  /**
   * Stands in for the digest while a tag is still unresolved, so the registry and names can be
   * checked (and refused) before any AWS call. Never written anywhere.
   */
  private static final Digest PLACEHOLDER = Digest.parse("sha256:" + "0".repeat(64));

  private PinValue() {}

  /** {@code REGISTRY/REPOSITORY[:tag]@sha256:<hex>}: the record the agent reads (DESIGN 2.1). */
  static String build(ImageArgument image, Digest digest) {
    return image.repositoryName()
        + image.tagName().map(t -> ":" + t).orElse("")
        + "@"
        + digest.value();
  }

  /**
   * Why the agent would reject {@code value}, in the agent's own words ({@link
   * DesiredRecord#parse}), or empty when it would accept it.
   */
  static Optional<String> rejection(String value, Set<String> allowedRegistries) {
    if (DesiredRecord.parse(value, 0, allowedRegistries) instanceof DesiredState.Rejected r) {
      return Optional.of(r.message());
    }
    return Optional.empty();
  }

  /**
   * {@link #rejection} of what {@code image} will become, decided before its digest is known:
   * everything but the digest (registry allowed, names well formed) is already final.
   */
  static Optional<String> earlyRejection(ImageArgument image, Set<String> allowedRegistries) {
    return rejection(build(image, image.pinnedDigest().orElse(PLACEHOLDER)), allowedRegistries);
  }
}
