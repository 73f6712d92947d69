package dev.driftguard.model;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * An image reference pinned by digest: {@code REGISTRY/REPOSITORY[:tag]@sha256:<hex>}. A tag beside
 * the digest is informational; the digest decides what runs. {@code tag} is null when absent.
 */
public record ImageRef(String registry, String repository, String tag, Digest digest) {
  private static final Pattern REGISTRY =
      Pattern.compile(
          "(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\\.[a-zA-Z0-9-]+)*(?::[0-9]{1,5})?");
  private static final Pattern REPOSITORY =
      Pattern.compile(
          "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*");
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
   * Parses {@code REGISTRY/REPOSITORY[:tag]@sha256:<hex>}. The first path component is the registry
   * and must be a host name (with a dot or a port) or {@code localhost}: driftguard never guesses
   * Docker Hub.
   *
   * @throws InvalidValueException with a message that says what is wrong
   */
  public static ImageRef parse(String value) {
    Parts parts = split(value);
    String trimmed = value.strip();
    if (parts.digest() == null) {
      throw new InvalidValueException(
          "image reference '"
              + Digest.abbreviate(trimmed)
              + "' is not pinned by digest: expected REGISTRY/REPOSITORY[:tag]@sha256:<64 hex>");
    }
    if (parts.registry() == null) {
      throw new InvalidValueException(
          "image reference '" + Digest.abbreviate(trimmed) + "' names no registry");
    }
    String registry = parts.registry();
    if (!registry.contains(".") && !registry.contains(":") && !registry.equals("localhost")) {
      throw new InvalidValueException(
          "image reference '"
              + Digest.abbreviate(trimmed)
              + "' names no registry host (the first component needs a dot or a port)");
    }
    return new ImageRef(registry, parts.repository(), parts.tag(), parts.digest());
  }

  /**
   * The parts of {@code REGISTRY/REPOSITORY[:tag][@sha256:<hex>]} as written: where the registry,
   * the tag and the digest are. Nothing but the digest is checked, so that {@link #parse} and the
   * operator's {@code pin} argument (which may lack the digest) split alike and each word its own
   * refusals.
   *
   * @param registry the text before the first slash; null when there is no slash
   * @param repository the text after the registry, without tag or digest; may be empty
   * @param tag what follows the repository's last colon when no slash comes after it; empty for a
   *     bare colon, null when there is none
   * @param digest what follows {@code @}, null when there is no {@code @}
   */
  public record Parts(String registry, String repository, String tag, Digest digest) {}

  /**
   * Splits {@code value} (stripped) into its {@link Parts}.
   *
   * @throws InvalidValueException when {@code value} is empty or its digest is malformed
   */
  public static Parts split(String value) {
    if (value == null || value.isBlank()) {
      throw new InvalidValueException("empty image reference");
    }
    String name = value.strip();
    Digest digest = null;
    int at = name.indexOf('@');
    if (at >= 0) {
      digest = Digest.parse(name.substring(at + 1));
      name = name.substring(0, at);
    }
    int slash = name.indexOf('/');
    if (slash < 0) {
      return new Parts(null, name, null, digest);
    }
    String path = name.substring(slash + 1);
    String tag = null;
    int colon = path.lastIndexOf(':');
    if (colon >= 0 && colon > path.lastIndexOf('/')) {
      tag = path.substring(colon + 1);
      path = path.substring(0, colon);
    }
    return new Parts(name.substring(0, slash), path, tag, digest);
  }

  public Optional<String> tagName() {
    return Optional.ofNullable(tag);
  }

  /** {@code REGISTRY/REPOSITORY} without tag or digest. */
  public String repositoryName() {
    return registry + "/" + repository;
  }

  /**
   * {@code REGISTRY/REPOSITORY@sha256:<hex>}: what is pulled and what containers are created from.
   */
  public String pinned() {
    return repositoryName() + "@" + digest.value();
  }

  @Override
  public String toString() {
    return repositoryName() + (tag == null ? "" : ":" + tag) + "@" + digest.value();
  }
}
