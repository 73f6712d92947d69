package dev.driftguard.packaging;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiPredicate;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Decides whether one IAM policy statement allows one request, for the parts of the policy language
 * the shipped policies use. It exists so that a test can ask AWS's own question ("does this
 * statement allow DeleteTags with no tag keys?") instead of asserting that some JSON is present.
 *
 * <p>Semantics, as the IAM User Guide states them (JSON policy reference: Action, Resource,
 * Condition, "Condition operators", "Single-valued vs. multivalued context keys" and "Policy
 * variables"):
 *
 * <ul>
 *   <li>Action and Resource match case-insensitively for the action, case-sensitively for the ARN;
 *       {@code *} matches any run of characters and {@code ?} one character.
 *   <li>{@code ${key}} in a Resource or a condition value is replaced by the request's value of
 *       {@code key}; when the request has no such key the element does not match.
 *   <li>Condition operators in a block are ANDed, keys under one operator are ANDed, values of one
 *       key are ORed.
 *   <li>A string operator on a key the request lacks is false; {@code ...IfExists} makes it true.
 *   <li>{@code ForAllValues:} is true when every request value matches some policy value, and so
 *       also when the key is absent or empty. {@code ForAnyValue:} needs at least one matching
 *       request value, so it is false for an absent key.
 *   <li>{@code Null: "true"} is true when the key is absent; {@code "false"} when it is present.
 *   <li>A negated operator ({@code StringNotEquals}, {@code StringNotLike}) is true when the
 *       request value matches none of the policy values; with {@code ForAllValues} every request
 *       value must match none.
 * </ul>
 *
 * An operator it does not know fails the test: a policy that starts using one must extend this
 * class, not be judged by a guess.
 */
final class PolicyEvaluator {
  private static final Pattern VARIABLE = Pattern.compile("\\$\\{([^}]+)}");

  private PolicyEvaluator() {}

  /**
   * A request as IAM sees it.
   *
   * @param context the request context: each key with its values (one for a single-valued key); an
   *     absent key is simply not in the map
   */
  record Request(String action, String resource, Map<String, List<String>> context) {
    Request {
      context = Map.copyOf(context);
    }
  }

  /** Whether {@code statement} (an {@code "Effect": "Allow"} statement) allows {@code request}. */
  static boolean allows(JsonNode statement, Request request) {
    if (!statement.path("Effect").asText().equals("Allow")) {
      throw new IllegalArgumentException("only Allow statements are evaluated");
    }
    return anyMatches(statement.path("Action"), a -> wildcard(a, request.action(), true))
        && anyMatches(
            statement.path("Resource"),
            r ->
                substitute(r, request)
                    .map(v -> wildcard(v, request.resource(), false))
                    .orElse(false))
        && conditionsHold(statement.path("Condition"), request);
  }

  private static boolean conditionsHold(JsonNode block, Request request) {
    var operators = block.fields();
    while (operators.hasNext()) {
      var operator = operators.next();
      var keys = operator.getValue().fields();
      while (keys.hasNext()) {
        var key = keys.next();
        List<String> values = new ArrayList<>();
        if (key.getValue().isArray()) {
          key.getValue().forEach(v -> values.add(v.asText()));
        } else {
          values.add(key.getValue().asText());
        }
        if (!holds(operator.getKey(), request.context().get(key.getKey()), values, request)) {
          return false;
        }
      }
    }
    return true;
  }

  /** One operator on one key; {@code actual} is null when the request lacks the key. */
  static boolean holds(
      String operator, List<String> actual, List<String> expected, Request request) {
    if (operator.equals("Null")) {
      boolean absent = actual == null || actual.isEmpty();
      return expected.stream().anyMatch(v -> Boolean.parseBoolean(v) == absent);
    }
    String set = "";
    String name = operator;
    int colon = operator.indexOf(':');
    if (colon >= 0) {
      set = operator.substring(0, colon);
      name = operator.substring(colon + 1);
    }
    boolean ifExists = name.endsWith("IfExists");
    if (ifExists) {
      name = name.substring(0, name.length() - "IfExists".length());
    }
    boolean negated = name.startsWith("StringNot");
    BiPredicate<String, String> compare =
        switch (name) {
          case "StringEquals", "StringNotEquals" -> String::equals;
          case "StringLike", "StringNotLike" -> (pattern, value) -> wildcard(pattern, value, false);
          default -> throw new AssertionError("PolicyEvaluator does not know operator " + operator);
        };
    boolean present = actual != null && !actual.isEmpty();
    switch (set) {
      case "ForAllValues" -> {
        // True for an absent or empty key: the hazard the Null guard exists for.
        return !present
            || actual.stream().allMatch(v -> matchesAny(compare, expected, v, request) != negated);
      }
      case "ForAnyValue" -> {
        return present
            && actual.stream().anyMatch(v -> matchesAny(compare, expected, v, request) != negated);
      }
      case "" -> {
        if (!present) {
          return ifExists;
        }
        if (actual.size() > 1) {
          throw new AssertionError(
              operator + " on a multivalued key needs ForAllValues or ForAnyValue");
        }
        return matchesAny(compare, expected, actual.get(0), request) != negated;
      }
      default -> throw new AssertionError("PolicyEvaluator does not know set operator " + set);
    }
  }

  private static boolean matchesAny(
      BiPredicate<String, String> compare, List<String> expected, String value, Request request) {
    // A policy value whose variable the request lacks matches nothing.
    return expected.stream()
        .map(e -> substitute(e, request))
        .flatMap(Optional::stream)
        .anyMatch(e -> compare.test(e, value));
  }

  /** {@code ${key}} replaced by the request's (single) value; empty when the key is absent. */
  static Optional<String> substitute(String text, Request request) {
    Matcher m = VARIABLE.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      List<String> values = request.context().get(m.group(1));
      if (values == null || values.size() != 1) {
        return Optional.empty();
      }
      m.appendReplacement(out, Matcher.quoteReplacement(values.get(0)));
    }
    m.appendTail(out);
    return Optional.of(out.toString());
  }

  /** IAM's wildcard match: {@code *} any run, {@code ?} one character. */
  static boolean wildcard(String pattern, String value, boolean ignoreCase) {
    StringBuilder regex = new StringBuilder();
    for (char c : pattern.toCharArray()) {
      switch (c) {
        case '*' -> regex.append(".*");
        case '?' -> regex.append('.');
        default -> regex.append(Pattern.quote(String.valueOf(c)));
      }
    }
    int flags = Pattern.DOTALL | (ignoreCase ? Pattern.CASE_INSENSITIVE : 0);
    return Pattern.compile(regex.toString(), flags).matcher(value).matches();
  }

  private static boolean anyMatches(JsonNode node, Predicate<String> test) {
    if (node.isTextual()) {
      return test.test(node.asText());
    }
    for (JsonNode item : node) {
      if (test.test(item.asText())) {
        return true;
      }
    }
    return false;
  }
}
