package dev.driftguard.operator;

import dev.driftguard.model.Digest;
import dev.driftguard.model.ImageRef;
import dev.driftguard.model.InvalidValueException;
import java.util.Optional;

/**
 * The IMAGE argument of {@code driftguard pin}: {@code REGISTRY/REPOSITORY} with a tag, a digest or
 * both. Unlike a desired-state record it may lack the digest (pin resolves the tag); unlike {@code
 * docker pull} it never means {@code :latest} when both are missing, because pinning whatever
 * {@code latest} happens to be is exactly the drift driftguard exists to prevent.
 *
 * <p>The text is split where the agent splits it ({@link ImageRef#split}) and only the shape is
 * checked here; names are validated by the agent's own parser ({@link PinValue#rejection}) so pin
 * refuses exactly what the agent would.
 *
 * @param registry the registry host, e.g. {@code 123456789012.dkr.ecr.us-east-1.amazonaws.com}
 * @param repository the path after the registry, e.g. {@code team/web}
 * @param tag the tag, or null
 * @param digest the digest, or null
 */
record ImageArgument(String registry, String repository, String tag, Digest digest) {

  ImageArgument {
    if (tag == null && digest == null) {
      throw new IllegalArgumentException("an image argument needs a tag or a digest");
    }
  }

  /**
   * Parses {@code REGISTRY/REPOSITORY[:tag][@sha256:<hex>]}.
   *
   * @throws InvalidValueException saying what is missing and how to write it
   */
  static ImageArgument parse(String value) {
    ImageRef.Parts parts = ImageRef.split(value);
    String text = value.strip();
    if (parts.registry() == null
        || parts.registry().isEmpty()
        || (parts.repository().isEmpty() && parts.tag() == null)) {
      throw new InvalidValueException(
          "'"
              + text
              + "' names no registry: write REGISTRY/REPOSITORY:tag or"
              + " REGISTRY/REPOSITORY@sha256:<64 hex> (driftguard never assumes Docker Hub)");
    }
    if (parts.tag() != null && parts.tag().isEmpty()) {
      throw new InvalidValueException("'" + text + "' has an empty tag after ':'");
    }
    if (parts.tag() == null && parts.digest() == null) {
      throw new InvalidValueException(
          "'"
              + text
              + "' has neither a tag nor a digest; name the release, e.g. "
              + text
              + ":v42 (pin resolves it to its digest) or "
              + text
              + "@sha256:<64 hex> (driftguard never assumes :latest)");
    }
    return new ImageArgument(parts.registry(), parts.repository(), parts.tag(), parts.digest());
  }

  Optional<String> tagName() {
    return Optional.ofNullable(tag);
  }

  Optional<Digest> pinnedDigest() {
    return Optional.ofNullable(digest);
  }

  /** {@code REGISTRY/REPOSITORY} without tag or digest. */
  String repositoryName() {
    return registry + "/" + repository;
  }

  @Override
  public String toString() {
    return repositoryName() + (tag == null ? "" : ":" + tag) + (digest == null ? "" : "@" + digest);
  }
}
