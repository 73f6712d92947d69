package dev.driftguard.config;

import java.util.Map;
import java.util.Optional;

/**
 * Reads this instance's tags for {@code ${tag:KEY}} interpolation. The caller supplies it (IMDS
 * metadata tags, EC2 {@code DescribeTags}, or a fixed map in local mode and tests), so the config
 * package itself never talks to AWS. The loader asks for each key at most once per load.
 */
@FunctionalInterface
public interface TagLookup {

  /** The value of tag {@code key}, or empty when the instance has no such tag. */
  Optional<String> tag(String key);

  /** No tags at all: every {@code ${tag:...}} is an error (local mode without tags). */
  static TagLookup none() {
    return key -> Optional.empty();
  }

  /** Fixed tags, for local mode and tests. */
  static TagLookup of(Map<String, String> tags) {
    Map<String, String> copy = Map.copyOf(tags);
    return key -> Optional.ofNullable(copy.get(key));
  }
}
