package dev.driftguard.model;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * An image reference pinned by digest: {@code REGISTRY/REPOSITORY[:tag]@sha256:<hex>}. A tag
 * beside the digest is informational; the digest decides what runs. {@code tag} is null when
 * absent.
 */
public record ImageRef(String registry, String repository, String tag, Digest digest) {
  private static final Pattern REGISTRY =
      Pattern.compile("(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\\.[a-zA-Z0-9-]+)*(?::[0-9]{1,5})?");
  private static final Pattern REPOSITORY =
      Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*");
  private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");

  public ImageRef {
    if (registry == null || !REGISTRY.matcher(registry).matches()) {
      throw new InvalidValueException("malformed registry '" + Digest.abbreviate(registry) + "'");
    }
    if (repository == null || !REPOSITORY.matcher(repository).matches()) {
      throw new InvalidValueException(
          "malformed repository '" + Digest.abbreviate(repository) + "'");
    }
    if (tag != null && !TAG.matcher(tag).matches()) {
      throw new InvalidValueException("malformed tag '" + Digest.abbreviate(tag) + "'");
    }
    if (digest == null) {
      throw new InvalidValueException("an image reference needs a digest");
    }
  }

  /**
   * Parses {@code REGISTRY/REPOSITORY[:tag]@sha256:<hex>}. The first path component is the
   * registry and must be a host name (with a dot or a port) or {@code localhost}: driftguard
   * never guesses Docker Hub.
   *
   * @throws InvalidValueException with a message that says what is wrong
   */
  public static ImageRef parse(String value) {
    if (value == null || value.isBlank()) {
      throw new InvalidValueException("empty image reference");
    }
    String trimmed = value.strip();
    int at = trimmed.indexOf('@');
    if (at < 0) {
      throw new InvalidValueException(
          "image reference '"
              + Digest.abbreviate(trimmed)
              + "' is not pinned by digest: expected REGISTRY/REPOSITORY[:tag]@sha256:<64 hex>");
    }
    Digest digest = Digest.parse(trimmed.substring(at + 1));
    String name = trimmed.substring(0, at);
    int slash = name.indexOf('/');
    if (slash < 0) {
      throw new InvalidValueException(
          "image reference '" + Digest.abbreviate(trimmed) + "' names no registry");
    }
    String registry = name.substring(0, slash);
    if (!registry.contains(".") && !registry.contains(":") && !registry.equals("localhost")) {
      throw new InvalidValueException(
          "image reference '"
              + Digest.abbreviate(trimmed)
              + "' names no registry host (the first component needs a dot or a port)");
    }
    String rest = name.substring(slash + 1);
    String tag = null;
    int colon = rest.lastIndexOf(':');
    if (colon >= 0) {
      tag = rest.substring(colon + 1);
      rest = rest.substring(0, colon);
    }
    return new ImageRef(registry, rest, tag, digest);
  }

  public Optional<String> tagName() {
    return Optional.ofNullable(tag);
  }

  /** {@code REGISTRY/REPOSITORY} without tag or digest. */
  public String repositoryName() {
    return registry + "/" + repository;
  }

  /** {@code REGISTRY/REPOSITORY@sha256:<hex>}: what is pulled and what containers are created from. */
  public String pinned() {
    return repositoryName() + "@" + digest.value();
  }

  @Override
  public String toString() {
    return repositoryName() + (tag == null ? "" : ":" + tag) + "@" + digest.value();
  }
}
