package dev.driftguard.operator;

import dev.driftguard.model.Digest;
import dev.driftguard.model.InvalidValueException;
import java.util.Optional;

/**
 * The IMAGE argument of {@code driftguard pin}: {@code REGISTRY/REPOSITORY} with a tag, a digest or
 * both. Unlike a desired-state record it may lack the digest (pin resolves the tag); unlike {@code
 * docker pull} it never means {@code :latest} when both are missing, because pinning whatever
 * {@code latest} happens to be is exactly the drift driftguard exists to prevent.
 *
 * <p>Only the shape is checked here; names are validated by the agent's own parser ({@link
 * PinValue#rejection}) so pin refuses exactly what the agent would.
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
    String text = value == null ? "" : value.strip();
    if (text.isEmpty()) {
      throw new InvalidValueException("empty image reference");
    }
    Digest digest = null;
    String name = text;
    int at = text.indexOf('@');
    if (at >= 0) {
      digest = Digest.parse(text.substring(at + 1));
      name = text.substring(0, at);
    }
    int slash = name.indexOf('/');
    if (slash <= 0 || slash == name.length() - 1) {
      throw new InvalidValueException(
          "'"
              + text
              + "' names no registry: write REGISTRY/REPOSITORY:tag or"
              + " REGISTRY/REPOSITORY@sha256:<64 hex> (driftguard never assumes Docker Hub)");
    }
    String registry = name.substring(0, slash);
    String path = name.substring(slash + 1);
    String tag = null;
    // A colon after the last slash starts the tag; one before it is the registry's port.
    int colon = path.lastIndexOf(':');
    if (colon >= 0 && colon > path.lastIndexOf('/')) {
      tag = path.substring(colon + 1);
      path = path.substring(0, colon);
      if (tag.isEmpty()) {
        throw new InvalidValueException("'" + text + "' has an empty tag after ':'");
      }
    }
    if (tag == null && digest == null) {
      throw new InvalidValueException(
          "'"
              + text
              + "' has neither a tag nor a digest; name the release, e.g. "
              + text
              + ":v42 (pin resolves it to its digest) or "
              + text
              + "@sha256:<64 hex> (driftguard never assumes :latest)");
    }
    return new ImageArgument(registry, path, tag, digest);
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
