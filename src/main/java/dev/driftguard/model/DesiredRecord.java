package dev.driftguard.model;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Set;

/** Parses the desired-state record (DESIGN 2.1) into a {@link DesiredState}. Pure. */
public final class DesiredRecord {
  /** SSM standard parameters hold 4 KB; an image reference is far shorter than this. */
  public static final int MAX_LENGTH = 1024;

  private DesiredRecord() {}

  /**
   * @param raw the record's value, null when the record does not exist
   * @param version the source's version of the value (0 when the source has none)
   * @param allowedRegistries registries the host may pull from; empty allows any (only a local file
   *     source may leave it empty: the configuration requires it for SSM sources)
   */
  public static DesiredState parse(String raw, long version, Set<String> allowedRegistries) {
    if (raw == null) {
      return reject(DesiredState.RejectReason.MISSING, "no desired-state record exists", "");
    }
    String value = raw.strip();
    if (value.isEmpty()) {
      return reject(DesiredState.RejectReason.EMPTY, "the record is empty", raw);
    }
    if (value.length() > MAX_LENGTH) {
      return reject(
          DesiredState.RejectReason.OVERSIZED,
          "the record is " + value.length() + " characters, more than " + MAX_LENGTH,
          raw);
    }
    if (value.startsWith("{")) {
      return reject(
          DesiredState.RejectReason.UNSUPPORTED_RECORD_VERSION,
          "JSON records (record v2) are not supported by this agent version; pin REGISTRY/REPOSITORY@sha256:<hex>",
          raw);
    }
    if (value.indexOf('@') < 0) {
      return reject(
          DesiredState.RejectReason.TAG_WITHOUT_DIGEST,
          "'"
              + Digest.abbreviate(value)
              + "' is not pinned by digest; pin REGISTRY/REPOSITORY[:tag]@sha256:<64 hex>"
              + " (driftguard pin resolves a tag for you)",
          raw);
    }
    ImageRef image;
    try {
      image = ImageRef.parse(value);
    } catch (InvalidValueException e) {
      return reject(DesiredState.RejectReason.MALFORMED, e.getMessage(), raw);
    }
    if (!allowedRegistries.isEmpty() && !allowedRegistries.contains(image.registry())) {
      return reject(
          DesiredState.RejectReason.REGISTRY_NOT_ALLOWED,
          "registry "
              + image.registry()
              + " is not in allowedRegistries "
              + allowedRegistries.stream().sorted().toList(),
          raw);
    }
    return new DesiredState.Pinned(image, version);
  }

  private static DesiredState.Rejected reject(
      DesiredState.RejectReason reason, String message, String raw) {
    return new DesiredState.Rejected(reason, message, fingerprint(raw));
  }

  static String fingerprint(String raw) {
    try {
      byte[] hash =
          MessageDigest.getInstance("SHA-256").digest(raw.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(hash, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
