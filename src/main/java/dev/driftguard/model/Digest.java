package dev.driftguard.model;

import java.util.regex.Pattern;

/**
 * A content digest, {@code sha256:} followed by 64 lowercase hex characters. The only identity of
 * an image that driftguard trusts: tags move, digests do not.
 */
public record Digest(String value) {
  private static final Pattern SHA256 = Pattern.compile("sha256:[0-9a-f]{64}");

  public Digest {
    if (value == null || !SHA256.matcher(value).matches()) {
      throw new InvalidValueException(
          "malformed digest '" + abbreviate(value) + "': expected sha256:<64 lowercase hex>");
    }
  }

  public static Digest parse(String value) {
    return new Digest(value);
  }

  /** The 64 hex characters, without the algorithm. */
  public String hex() {
    return value.substring("sha256:".length());
  }

  /** {@code sha256:ab12cd34ef56} — enough to tell digests apart in a log line. */
  public String shortForm() {
    return value.substring(0, "sha256:".length() + 12);
  }

  @Override
  public String toString() {
    return value;
  }

  static String abbreviate(String value) {
    if (value == null) {
      return "null";
    }
    return value.length() <= 80 ? value : value.substring(0, 77) + "...";
  }
}
