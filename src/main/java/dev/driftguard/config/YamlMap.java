package dev.driftguard.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.driftguard.model.DriftguardException;
import dev.driftguard.model.InvalidValueException;
import dev.driftguard.model.Spelling;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * One YAML mapping being read, with its path ({@code services[0].health}). Reading a key that is
 * absent yields empty; reading one of the wrong type reports {@code path: message} and also yields
 * empty, so the caller falls back to the default and keeps finding further errors. Keys not
 * declared as known are reported on construction.
 */
final class YamlMap {

  /** A scalar read from the file (after interpolation) and where it was. */
  record Text(String path, String value) {}

  /**
   * How a scalar is taken. YAML types unquoted scalars, and its reading is not always what was
   * written ({@code 0755} reads as 493, {@code 1.10} as 1.1, {@code yes} and {@code on} as true),
   * so a key whose value is used as written (a name, a path, a command) takes only text.
   */
  private enum Reading {
    /** Any scalar, as the text YAML read; the caller's parser judges it (numbers, durations). */
    ANY,
    /** Text as written: a number or boolean is reported, with the advice to quote it. */
    TEXT,
    /** {@link #TEXT} that is (part of) a path, each {@code ${tag:..}} held to one segment. */
    PATH
  }

  /**
   * The word that leaves a value to be found at run time; like every word from a list, any case.
   */
  static final String AUTO = "auto";

  private final JsonNode node;
  private final String path;
  private final Problems problems;
  private final Interpolator interpolator;

  private YamlMap(
      JsonNode node,
      String path,
      Problems problems,
      Interpolator interpolator,
      List<String> known) {
    this.problems = problems;
    this.interpolator = interpolator;
    this.path = path;
    if (isAbsent(node)) {
      this.node = null;
    } else if (!node.isObject()) {
      problems.add(path, "must be a mapping (key: value), not " + describe(node));
      this.node = null;
    } else {
      this.node = node;
      Iterator<String> names = node.fieldNames();
      while (names.hasNext()) {
        String name = names.next();
        if (!known.contains(name)) {
          problems.add(child(name), unknownKey(name, known));
        }
      }
    }
  }

  static YamlMap root(
      JsonNode node, Problems problems, Interpolator interpolator, String... known) {
    return new YamlMap(node, "", problems, interpolator, List.of(known));
  }

  static YamlMap at(
      JsonNode node, String path, Problems problems, Interpolator interpolator, String... known) {
    return new YamlMap(node, path, problems, interpolator, List.of(known));
  }

  String path() {
    return path;
  }

  /** True when the mapping is written (possibly empty); false when absent or not a mapping. */
  boolean present() {
    return node != null;
  }

  String path(String key) {
    return child(key);
  }

  Problems problems() {
    return problems;
  }

  /** True when {@code key} is written with a value ({@code key:} alone counts as absent). */
  boolean has(String key) {
    return node != null && !isAbsent(node.get(key));
  }

  /** A nested mapping; empty (all defaults) when absent. */
  YamlMap map(String key, String... known) {
    return new YamlMap(
        node == null ? null : node.get(key), child(key), problems, interpolator, List.of(known));
  }

  /** Any scalar as the text YAML read, interpolated; for a parser that judges its form. */
  Optional<Text> text(String key) {
    return text(key, Reading.ANY);
  }

  /**
   * Text that is (part of) a path or an SSM parameter name, interpolated with each {@code
   * ${tag:..}} value held to one path segment.
   */
  Optional<Text> pathText(String key) {
    return text(key, Reading.PATH);
  }

  private Optional<Text> text(String key, Reading reading) {
    return has(key) ? scalar(node.get(key), child(key), reading) : Optional.empty();
  }

  /** Free text, used as written (a user name); a YAML number or boolean is reported. */
  Optional<String> string(String key) {
    return text(key, Reading.TEXT).map(Text::value);
  }

  /**
   * A scalar turned into a value by {@code parser}; a {@link DriftguardException} or {@link
   * IllegalArgumentException} from it becomes an error at this key.
   */
  <T> Optional<T> value(String key, Function<String, T> parser) {
    return text(key).flatMap(t -> parse(t, parser));
  }

  /** {@link #value} of text used as written (a name); a YAML number or boolean is reported. */
  <T> Optional<T> textValue(String key, Function<String, T> parser) {
    return text(key, Reading.TEXT).flatMap(t -> parse(t, parser));
  }

  /** {@link #value} of a path-like scalar ({@link #pathText}). */
  <T> Optional<T> pathValue(String key, Function<String, T> parser) {
    return pathText(key).flatMap(t -> parse(t, parser));
  }

  /**
   * One of the constants of {@code type}, written as its name in lower case with {@code -} for
   * {@code _} ({@code start-first}), in any case; another word is reported with the choices.
   */
  <E extends Enum<E>> Optional<E> oneOf(String key, Class<E> type) {
    E[] constants = type.getEnumConstants();
    return value(
        key,
        v -> {
          for (E constant : constants) {
            if (word(constant).equalsIgnoreCase(v)) {
              return constant;
            }
          }
          List<String> words = Arrays.stream(constants).map(YamlMap::word).toList();
          throw new InvalidValueException(
              "'"
                  + v
                  + "' is not "
                  + (words.size() == 2
                      ? words.get(0) + " or " + words.get(1)
                      : "one of " + String.join(", ", words)));
        });
  }

  /**
   * {@link #oneOf(String, Class)} in a section that is left out when it has an error: {@code
   * absent} when the key is not written, null when it is written but is none of the words
   * (reported).
   */
  <E extends Enum<E>> E oneOf(String key, E absent) {
    return oneOf(key, absent.getDeclaringClass()).orElse(has(key) ? null : absent);
  }

  /** How a constant is written in the file: {@code START_FIRST} as {@code start-first}. */
  static String word(Enum<?> constant) {
    return constant.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** Whether {@code value} is {@link #AUTO}, in any case. */
  static boolean isAuto(String value) {
    return value.equalsIgnoreCase(AUTO);
  }

  <T> Optional<T> parse(Text text, Function<String, T> parser) {
    try {
      return Optional.ofNullable(parser.apply(text.value()));
    } catch (DriftguardException | IllegalArgumentException e) {
      problems.add(text.path(), e.getMessage());
      return Optional.empty();
    }
  }

  Optional<Duration> duration(String key) {
    return value(key, Durations::parse);
  }

  /** A duration that must be more than zero; zero is reported and yields empty. */
  Optional<Duration> positiveDuration(String key) {
    Optional<Duration> d = duration(key);
    if (d.isPresent() && d.get().isZero()) {
      problems.add(child(key), "must be more than zero");
      return Optional.empty();
    }
    return d;
  }

  /**
   * Whether {@code read} is at most {@code max}; one that is above is reported at {@code key} (with
   * {@code why}), so the caller falls back to the default and keeps checking.
   */
  boolean atMost(String key, Duration read, Duration max, String why) {
    if (read.compareTo(max) > 0) {
      problems.add(child(key), Durations.aboveMaximum(read, max, why));
      return false;
    }
    return true;
  }

  /**
   * The record {@code constructor} makes of this mapping's values, or null when its compact
   * constructor refuses them: that refusal is reported at this mapping's path.
   */
  <T> T construct(Supplier<T> constructor) {
    try {
      return constructor.get();
    } catch (InvalidValueException e) {
      problems.add(path, e.getMessage());
      return null;
    }
  }

  /** A whole number within {@code min..max}; quoted digits are accepted too. */
  Optional<Integer> integer(String key, int min, int max) {
    return text(key)
        .flatMap(
            t -> {
              String v = t.value().strip();
              if (!v.matches("-?\\d{1,10}")) {
                problems.add(t.path(), "'" + v + "' is not a whole number");
                return Optional.empty();
              }
              long n = Long.parseLong(v);
              if (n < min || n > max) {
                problems.add(t.path(), "must be " + min + ".." + max + ", not " + n);
                return Optional.empty();
              }
              return Optional.of((int) n);
            });
  }

  Optional<Integer> port(String key) {
    return integer(key, 1, 65535);
  }

  Optional<Boolean> bool(String key) {
    return text(key)
        .flatMap(
            t -> {
              switch (t.value().strip()) {
                case "true":
                  return Optional.of(true);
                case "false":
                  return Optional.of(false);
                default:
                  problems.add(t.path(), "'" + t.value() + "' is not true or false");
                  return Optional.empty();
              }
            });
  }

  /**
   * A list of texts (a command, host names); {@code key: "x"} alone is reported, not silently made
   * a list.
   */
  List<Text> texts(String key) {
    return texts(key, Reading.TEXT);
  }

  /** A list of path-like texts ({@link #pathText}). */
  List<Text> pathTexts(String key) {
    return texts(key, Reading.PATH);
  }

  private List<Text> texts(String key, Reading reading) {
    List<Text> result = new ArrayList<>();
    for (Map.Entry<String, JsonNode> item : items(key).entrySet()) {
      scalar(item.getValue(), item.getKey(), reading).ifPresent(result::add);
    }
    return result;
  }

  /** A list of mappings, each checked against {@code known} keys. */
  List<YamlMap> maps(String key, String... known) {
    List<YamlMap> result = new ArrayList<>();
    for (Map.Entry<String, JsonNode> item : items(key).entrySet()) {
      result.add(
          new YamlMap(item.getValue(), item.getKey(), problems, interpolator, List.of(known)));
    }
    return result;
  }

  /** True when {@code key} is a list (even an empty one); false when absent or reported. */
  boolean isList(String key) {
    return has(key) && node.get(key).isArray();
  }

  /** The number of items of list {@code key}; 0 when absent or not a list. */
  int listSize(String key) {
    return isList(key) ? node.get(key).size() : 0;
  }

  /**
   * A mapping of free-form names to scalars ({@code env}), in file order; numbers and booleans as
   * the text YAML read.
   */
  Map<String, Text> textMap(String key) {
    return textMap(key, Reading.ANY);
  }

  /** A mapping of names to path-like texts ({@code envFromSsm}; see {@link #pathText}). */
  Map<String, Text> pathTextMap(String key) {
    return textMap(key, Reading.PATH);
  }

  private Map<String, Text> textMap(String key, Reading reading) {
    Map<String, Text> result = new LinkedHashMap<>();
    if (!has(key)) {
      return result;
    }
    JsonNode map = node.get(key);
    if (!map.isObject()) {
      problems.add(child(key), "must be a mapping (NAME: value), not " + describe(map));
      return result;
    }
    Iterator<Map.Entry<String, JsonNode>> fields = map.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> field = fields.next();
      String itemPath = child(key) + "." + field.getKey();
      if (field.getValue().isNull()) {
        problems.add(itemPath, "needs a value (write \"\" for an empty one)");
        continue;
      }
      scalar(field.getValue(), itemPath, reading).ifPresent(t -> result.put(field.getKey(), t));
    }
    return result;
  }

  private Map<String, JsonNode> items(String key) {
    Map<String, JsonNode> result = new LinkedHashMap<>();
    if (!has(key)) {
      return result;
    }
    JsonNode list = node.get(key);
    if (!list.isArray()) {
      problems.add(child(key), "must be a list ([a, b] or '- a' lines), not " + describe(list));
      return result;
    }
    for (int i = 0; i < list.size(); i++) {
      result.put(child(key) + "[" + i + "]", list.get(i));
    }
    return result;
  }

  private Optional<Text> scalar(JsonNode value, String valuePath, Reading reading) {
    if (value == null || value.isNull()) {
      problems.add(valuePath, "needs a value");
      return Optional.empty();
    }
    if (!value.isValueNode()) {
      problems.add(valuePath, "must be a single value, not " + describe(value));
      return Optional.empty();
    }
    if (reading != Reading.ANY && !value.isTextual()) {
      problems.add(
          valuePath,
          "is "
              + (value.isBoolean() ? "a boolean" : "a number")
              + " to YAML (read as "
              + value.asText()
              + "), not text: quote it to keep it as written");
      return Optional.empty();
    }
    String resolved =
        interpolator.resolve(value.asText(), valuePath, problems, reading == Reading.PATH);
    return resolved == null ? Optional.empty() : Optional.of(new Text(valuePath, resolved));
  }

  private String child(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  private static boolean isAbsent(JsonNode node) {
    // YAML "key:" with nothing after it reads as an empty string in Jackson, "key: ~" as null.
    return node == null
        || node.isNull()
        || node.isMissingNode()
        || (node.isTextual() && node.asText().isEmpty());
  }

  private static String describe(JsonNode node) {
    if (node.isArray()) {
      return "a list";
    }
    if (node.isObject()) {
      return "a mapping";
    }
    return "'" + node.asText() + "'";
  }

  static String unknownKey(String name, List<String> known) {
    String suggestion = Spelling.closest(name, known).orElse(null);
    return "unknown key ("
        + (suggestion == null ? "" : "did you mean '" + suggestion + "'? ")
        + "known: "
        + String.join(", ", known)
        + ")";
  }
}
