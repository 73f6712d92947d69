package dev.driftguard.model;

import java.util.Collection;
import java.util.Locale;
import java.util.Optional;

/**
 * The known word a mistyped one was probably meant to be: an unknown key in the configuration, an
 * unknown command or option on the command line. One rule for all of them, so {@code driftguard
 * validate} and {@code driftguard pin} guess alike.
 */
public final class Spelling {
  /** More edits than this and the word is taken for another word, not a typo. */
  private static final int MAX_EDITS = 2;

  private Spelling() {}

  /**
   * The entry of {@code known} closest to {@code word}, at most two edits away (Levenshtein, case
   * ignored; leading dashes ignored, so {@code helo} finds {@code --help} and {@code -config} finds
   * {@code --config}); of equally close entries the first in {@code known}'s order.
   */
  public static Optional<String> closest(String word, Collection<String> known) {
    String typed = bare(word);
    String best = null;
    int bestDistance = MAX_EDITS + 1;
    for (String candidate : known) {
      int d = distance(typed, bare(candidate));
      if (d < bestDistance) {
        best = candidate;
        bestDistance = d;
      }
    }
    return Optional.ofNullable(best);
  }

  /**
   * {@code "; did you mean X?"} with the {@link #closest} entry, or empty when none is close: the
   * end of a command-line error such as {@code unknown command helo; did you mean --help?}.
   */
  public static String didYouMean(String word, Collection<String> known) {
    return closest(word, known).map(match -> "; did you mean " + match + "?").orElse("");
  }

  private static String bare(String word) {
    int start = 0;
    while (start < word.length() && word.charAt(start) == '-') {
      start++;
    }
    return word.substring(start).toLowerCase(Locale.ROOT);
  }

  /** Levenshtein distance: enough to catch "portz", "pollintervall" and "rollout-staus". */
  private static int distance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        current[j] =
            Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }
}
