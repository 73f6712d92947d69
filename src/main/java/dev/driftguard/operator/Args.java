package dev.driftguard.operator;

import dev.driftguard.model.Spelling;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The command line of one operator command: positional words, flags ({@code --json}) and options
 * with a value ({@code --timeout 15m} or {@code --timeout=15m}), in any order. Small on purpose:
 * three commands do not justify a parsing library.
 */
final class Args {
  private final List<String> positionals = new ArrayList<>();
  private final Map<String, List<String>> values = new HashMap<>();

  private Args() {}

  /**
   * @param flags options without a value, e.g. {@code --json}
   * @param valued options with a value; each may be given several times ({@link #values})
   * @throws UsageException for an unknown option or a missing value
   */
  static Args parse(List<String> args, Set<String> flags, Set<String> valued) {
    Args parsed = new Args();
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (arg.equals("--")) {
        parsed.positionals.addAll(args.subList(i + 1, args.size()));
        break;
      }
      if (!arg.startsWith("--")) {
        parsed.positionals.add(arg);
        continue;
      }
      int eq = arg.indexOf('=');
      String name = eq < 0 ? arg : arg.substring(0, eq);
      if (flags.contains(name)) {
        if (eq >= 0) {
          throw new UsageException(name + " takes no value");
        }
        parsed.values.computeIfAbsent(name, k -> new ArrayList<>()).add("");
      } else if (valued.contains(name)) {
        String value;
        if (eq >= 0) {
          value = arg.substring(eq + 1);
        } else if (i + 1 < args.size()) {
          value = args.get(++i);
        } else {
          throw new UsageException(name + " needs a value");
        }
        parsed.values.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
      } else {
        Set<String> known = new TreeSet<>(flags);
        known.addAll(valued);
        throw new UsageException("unknown option " + name + Spelling.didYouMean(name, known));
      }
    }
    return parsed;
  }

  List<String> positionals() {
    return List.copyOf(positionals);
  }

  boolean flag(String name) {
    return values.containsKey(name);
  }

  /**
   * The option's value, empty when not given.
   *
   * @throws UsageException when it was given more than once
   */
  Optional<String> value(String name) {
    List<String> given = values.getOrDefault(name, List.of());
    if (given.size() > 1) {
      throw new UsageException(name + " given " + given.size() + " times");
    }
    return given.stream().findFirst();
  }

  /** Every value of a repeatable option, in order. */
  List<String> values(String name) {
    return List.copyOf(values.getOrDefault(name, List.of()));
  }
}
