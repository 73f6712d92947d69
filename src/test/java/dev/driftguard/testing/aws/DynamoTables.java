package dev.driftguard.testing.aws;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * DynamoDB's item model and expression language, as much of them as conditional writes need, with
 * no protocol: {@link DynamoDbService} puts the JSON 1.0 wire protocol in front of it for the real
 * SDK, and the fleet simulator an in-process {@code DynamoDbClient}. Writes are atomic and reads
 * always current (a strongly consistent read; an eventually consistent one is allowed to be so).
 *
 * <p>Supported: attribute types S, N, BOOL and NULL; condition expressions with {@code =, <>, <,
 * <=, >, >=}, {@code AND, OR, NOT}, parentheses, {@code attribute_exists} and {@code
 * attribute_not_exists}; update expressions with {@code SET a = operand [+|- operand], ...} and
 * {@code REMOVE a, ...}; key conditions {@code hash = :v [AND range op :v]}. Errors are AWS's:
 * {@code ConditionalCheckFailedException}, {@code ResourceNotFoundException} and {@code
 * ValidationException} with AWS's wording for unused or undefined placeholders and missing keys.
 */
public final class DynamoTables {
  /** An attribute value: its DynamoDB type ({@code S, N, BOOL, NULL}) and text. */
  public record Value(String type, String text) {
    public Value {
      Objects.requireNonNull(type, "type");
      Objects.requireNonNull(text, "text");
    }

    public static Value s(String text) {
      return new Value("S", text);
    }

    public static Value n(String text) {
      return new Value("N", new BigDecimal(text).toPlainString());
    }

    int compare(Value other) {
      return type.equals("N")
          ? new BigDecimal(text).compareTo(new BigDecimal(other.text))
          : text.compareTo(other.text);
    }
  }

  /**
   * One request: the table, an item (PutItem) or key, the expressions with their placeholders, and
   * for reads whether to read consistently, where to start and how many items at most.
   */
  public record Request(
      String table,
      Map<String, Value> item,
      String condition,
      String update,
      Map<String, String> names,
      Map<String, Value> values,
      Map<String, Value> startKey,
      int limit) {
    public Request {
      names = names == null ? Map.of() : names;
      values = values == null ? Map.of() : values;
    }
  }

  /** A page of items and where the next one starts (null at the end). */
  public record Page(List<Map<String, Value>> items, Map<String, Value> lastKey) {}

  private record Table(
      String hashKey,
      String hashType,
      String rangeKey,
      String rangeType,
      TreeMap<String, Map<String, Value>> items) {}

  private final Map<String, Table> tables = new HashMap<>();

  /**
   * Creates a table (a test knob, and what {@code CreateTable} would do).
   *
   * @param rangeKey null for a table with a partition key only
   */
  public synchronized void createTable(
      String name, String hashKey, String hashType, String rangeKey, String rangeType) {
    tables.putIfAbsent(name, new Table(hashKey, hashType, rangeKey, rangeType, new TreeMap<>()));
  }

  /** Every item of a table, for tests and the simulator's report. */
  public synchronized List<Map<String, Value>> items(String table) {
    return List.copyOf(table(table).items().values());
  }

  public synchronized void putItem(Request r) {
    Table t = table(r.table());
    String key = keyOf(t, r.item(), true);
    Set<String> usedNames = new HashSet<>();
    Set<String> usedValues = new HashSet<>();
    Node condition =
        r.condition() == null ? null : parseCondition(r.condition(), usedNames, usedValues);
    checkPlaceholders(r, usedNames, usedValues);
    check(condition, t.items().get(key), r);
    t.items().put(key, Map.copyOf(r.item()));
  }

  public synchronized void updateItem(Request r) {
    Table t = table(r.table());
    String key = keyOf(t, r.item(), false);
    Set<String> usedNames = new HashSet<>();
    Set<String> usedValues = new HashSet<>();
    Node condition =
        r.condition() == null ? null : parseCondition(r.condition(), usedNames, usedValues);
    List<Assignment> updates = parseUpdate(r.update(), usedNames, usedValues);
    checkPlaceholders(r, usedNames, usedValues);
    Map<String, Value> current = t.items().get(key);
    check(condition, current, r);
    Map<String, Value> next = new LinkedHashMap<>(current == null ? r.item() : current);
    for (Assignment a : updates) {
      String name = name(a.path(), r);
      if (name.equals(t.hashKey()) || name.equals(t.rangeKey())) {
        throw AwsFault.validation(
            "One or more parameter values were invalid: Cannot update attribute "
                + name
                + ". This attribute is part of the key");
      }
      if (a.value() == null) {
        next.remove(name);
      } else {
        next.put(name, a.value().evaluate(current, r));
      }
    }
    t.items().put(key, Map.copyOf(next));
  }

  public synchronized void deleteItem(Request r) {
    Table t = table(r.table());
    String key = keyOf(t, r.item(), false);
    Set<String> usedNames = new HashSet<>();
    Set<String> usedValues = new HashSet<>();
    Node condition =
        r.condition() == null ? null : parseCondition(r.condition(), usedNames, usedValues);
    checkPlaceholders(r, usedNames, usedValues);
    check(condition, t.items().get(key), r);
    t.items().remove(key);
  }

  /** The item with this key, or null. */
  public synchronized Map<String, Value> getItem(String table, Map<String, Value> key) {
    Table t = table(table);
    return t.items().get(keyOf(t, key, false));
  }

  /** {@code Query}: the items of one partition, by sort key, from {@code startKey}. */
  public synchronized Page query(Request r) {
    Table t = table(r.table());
    Set<String> usedNames = new HashSet<>();
    Set<String> usedValues = new HashSet<>();
    Node condition = parseCondition(r.condition(), usedNames, usedValues);
    checkPlaceholders(r, usedNames, usedValues);
    if (!(condition instanceof Compare c && c.op().equals("=")) && !(condition instanceof And)) {
      throw AwsFault.validation("Query condition missed key schema element: " + t.hashKey());
    }
    List<Map<String, Value>> matching = new ArrayList<>();
    for (Map<String, Value> item : t.items().values()) {
      if (condition.test(item, r)) {
        matching.add(item);
      }
    }
    if (t.rangeKey() != null) {
      matching.sort(Comparator.comparing(i -> i.get(t.rangeKey()), Value::compare));
    }
    return page(t, matching, r);
  }

  /** {@code Scan}: every item, from {@code startKey}. */
  public synchronized Page scan(Request r) {
    Table t = table(r.table());
    return page(t, new ArrayList<>(t.items().values()), r);
  }

  private static Page page(Table t, List<Map<String, Value>> items, Request r) {
    int from = 0;
    if (r.startKey() != null && !r.startKey().isEmpty()) {
      String start = keyOf(t, r.startKey(), false);
      while (from < items.size() && !keyOf(t, items.get(from), true).equals(start)) {
        from++;
      }
      from++;
    }
    int limit = r.limit() > 0 ? r.limit() : Integer.MAX_VALUE;
    int to = (int) Math.min(items.size(), (long) from + limit);
    List<Map<String, Value>> page = from >= items.size() ? List.of() : items.subList(from, to);
    Map<String, Value> last = null;
    if (to < items.size() && !page.isEmpty()) {
      Map<String, Value> lastItem = page.get(page.size() - 1);
      last = new HashMap<>();
      last.put(t.hashKey(), lastItem.get(t.hashKey()));
      if (t.rangeKey() != null) {
        last.put(t.rangeKey(), lastItem.get(t.rangeKey()));
      }
    }
    return new Page(List.copyOf(page), last);
  }

  private Table table(String name) {
    Table t = name == null ? null : tables.get(name);
    if (t == null) {
      throw AwsFault.badRequest(
          "ResourceNotFoundException",
          "Requested resource not found: Table: " + name + " not found");
    }
    return t;
  }

  private static String keyOf(Table t, Map<String, Value> item, boolean wholeItem) {
    if (item == null) {
      throw AwsFault.validation("One of the required keys was not given a value");
    }
    Value hash = item.get(t.hashKey());
    Value range = t.rangeKey() == null ? null : item.get(t.rangeKey());
    if (hash == null || (t.rangeKey() != null && range == null)) {
      throw AwsFault.validation(
          wholeItem
              ? "One or more parameter values were invalid: Missing the key "
                  + (hash == null ? t.hashKey() : t.rangeKey())
                  + " in the item"
              : "The provided key element does not match the schema");
    }
    if (!hash.type().equals(t.hashType())
        || (range != null && !range.type().equals(t.rangeType()))) {
      throw AwsFault.validation("One or more parameter values were invalid: Type mismatch for key");
    }
    if (!wholeItem && item.size() > (t.rangeKey() == null ? 1 : 2)) {
      throw AwsFault.validation("The provided key element does not match the schema");
    }
    // Numbers sort as numbers in the tree: pad them, so slot 10 follows slot 9.
    String r =
        range == null
            ? ""
            : range.type().equals("N")
                ? String.format("%030.6f", new BigDecimal(range.text()))
                : range.text();
    return hash.text() + "\u0000" + r;
  }

  private static void check(Node condition, Map<String, Value> current, Request r) {
    if (condition != null && !condition.test(current == null ? Map.of() : current, r)) {
      throw AwsFault.badRequest(
          "ConditionalCheckFailedException", "The conditional request failed");
    }
  }

  private static void checkPlaceholders(Request r, Set<String> usedNames, Set<String> usedValues) {
    for (String n : usedNames) {
      if (!r.names().containsKey(n)) {
        throw AwsFault.validation(
            "Value provided in ExpressionAttributeNames unused in expressions: An expression"
                + " attribute name used in the document path is not defined; attribute name: "
                + n);
      }
    }
    for (String v : usedValues) {
      if (!r.values().containsKey(v)) {
        throw AwsFault.validation(
            "Invalid ConditionExpression: An expression attribute value used in expression is not"
                + " defined; attribute value: "
                + v);
      }
    }
    Set<String> unusedNames = new HashSet<>(r.names().keySet());
    unusedNames.removeAll(usedNames);
    if (!unusedNames.isEmpty()) {
      throw AwsFault.validation(
          "Value provided in ExpressionAttributeNames unused in expressions: keys: {"
              + String.join(", ", unusedNames)
              + "}");
    }
    Set<String> unusedValues = new HashSet<>(r.values().keySet());
    unusedValues.removeAll(usedValues);
    if (!unusedValues.isEmpty()) {
      throw AwsFault.validation(
          "Value provided in ExpressionAttributeValues unused in expressions: keys: {"
              + String.join(", ", unusedValues)
              + "}");
    }
  }

  private static String name(String path, Request r) {
    return path.startsWith("#") ? r.names().get(path) : path;
  }

  // ---- expressions ---------------------------------------------------------------------------

  private interface Node {
    boolean test(Map<String, Value> item, Request r);
  }

  private interface Operand {
    /** The operand's value against {@code item}, or null when it names a missing attribute. */
    Value evaluate(Map<String, Value> item, Request r);
  }

  private record Path(String path) implements Operand {
    @Override
    public Value evaluate(Map<String, Value> item, Request r) {
      return item == null ? null : item.get(name(path, r));
    }
  }

  private record Placeholder(String name) implements Operand {
    @Override
    public Value evaluate(Map<String, Value> item, Request r) {
      return r.values().get(name);
    }
  }

  private record Arithmetic(Operand left, String op, Operand right) implements Operand {
    @Override
    public Value evaluate(Map<String, Value> item, Request r) {
      Value a = left.evaluate(item, r);
      Value b = right.evaluate(item, r);
      if (a == null || b == null || !a.type().equals("N") || !b.type().equals("N")) {
        throw AwsFault.validation(
            "The provided expression refers to an attribute that does not exist in the item or"
                + " an operand type for operator or function is invalid");
      }
      BigDecimal x = new BigDecimal(a.text());
      BigDecimal y = new BigDecimal(b.text());
      return Value.n((op.equals("+") ? x.add(y) : x.subtract(y)).toPlainString());
    }
  }

  private record Compare(Operand left, String op, Operand right) implements Node {
    @Override
    public boolean test(Map<String, Value> item, Request r) {
      Value a = left.evaluate(item, r);
      Value b = right.evaluate(item, r);
      if (a == null || b == null || !a.type().equals(b.type())) {
        return op.equals("<>");
      }
      int c =
          a.type().equals("N") || a.type().equals("S")
              ? a.compare(b)
              : a.text().equals(b.text()) ? 0 : 1;
      return switch (op) {
        case "=" -> c == 0;
        case "<>" -> c != 0;
        case "<" -> c < 0;
        case "<=" -> c <= 0;
        case ">" -> c > 0;
        case ">=" -> c >= 0;
        default -> throw new IllegalStateException(op);
      };
    }
  }

  private record Exists(Path path, boolean exists) implements Node {
    @Override
    public boolean test(Map<String, Value> item, Request r) {
      return (path.evaluate(item, r) != null) == exists;
    }
  }

  private record And(Node left, Node right) implements Node {
    @Override
    public boolean test(Map<String, Value> item, Request r) {
      return left.test(item, r) && right.test(item, r);
    }
  }

  private record Or(Node left, Node right) implements Node {
    @Override
    public boolean test(Map<String, Value> item, Request r) {
      return left.test(item, r) || right.test(item, r);
    }
  }

  private record Not(Node inner) implements Node {
    @Override
    public boolean test(Map<String, Value> item, Request r) {
      return !inner.test(item, r);
    }
  }

  private record Assignment(String path, Operand value) {}

  private static final Pattern TOKEN =
      Pattern.compile("\\s*(<>|<=|>=|[=<>(),+\\-]|[#:]?[A-Za-z0-9_]+)");

  private static List<String> tokens(String expression) {
    List<String> tokens = new ArrayList<>();
    Matcher m = TOKEN.matcher(expression);
    int at = 0;
    while (at < expression.length()) {
      if (!m.find(at) || m.start() != at) {
        if (expression.substring(at).isBlank()) {
          break;
        }
        throw AwsFault.validation(
            "Invalid expression: Syntax error; token: \""
                + expression.substring(at).strip()
                + "\"");
      }
      tokens.add(m.group(1));
      at = m.end();
    }
    return tokens;
  }

  /** A recursive-descent parser over the tokens of one expression. */
  private static final class Parser {
    final List<String> tokens;
    final Set<String> names;
    final Set<String> values;
    int at;

    Parser(String expression, Set<String> names, Set<String> values) {
      this.tokens = tokens(expression);
      this.names = names;
      this.values = values;
    }

    String peek() {
      return at < tokens.size() ? tokens.get(at) : null;
    }

    boolean is(String keyword) {
      return peek() != null && peek().equalsIgnoreCase(keyword);
    }

    String next() {
      if (at >= tokens.size()) {
        throw AwsFault.validation("Invalid expression: Syntax error; token: \"<EOF>\"");
      }
      return tokens.get(at++);
    }

    void expect(String token) {
      String t = next();
      if (!t.equalsIgnoreCase(token)) {
        throw AwsFault.validation("Invalid expression: Syntax error; token: \"" + t + "\"");
      }
    }

    Node or() {
      Node left = and();
      while (is("OR")) {
        next();
        left = new Or(left, and());
      }
      return left;
    }

    Node and() {
      Node left = not();
      while (is("AND")) {
        next();
        left = new And(left, not());
      }
      return left;
    }

    Node not() {
      if (is("NOT")) {
        next();
        return new Not(not());
      }
      return primary();
    }

    Node primary() {
      if (is("(")) {
        next();
        Node inner = or();
        expect(")");
        return inner;
      }
      if (is("attribute_exists") || is("attribute_not_exists")) {
        boolean exists = next().equalsIgnoreCase("attribute_exists");
        expect("(");
        Path path = path();
        expect(")");
        return new Exists(path, exists);
      }
      Operand left = operand();
      String op = next();
      if (!Set.of("=", "<>", "<", "<=", ">", ">=").contains(op)) {
        throw AwsFault.validation("Invalid expression: Syntax error; token: \"" + op + "\"");
      }
      return new Compare(left, op, operand());
    }

    Operand operand() {
      String t = peek();
      if (t != null && t.startsWith(":")) {
        values.add(next());
        return new Placeholder(t);
      }
      return path();
    }

    Path path() {
      String t = next();
      if (t.startsWith(":") || !Character.isLetterOrDigit(t.charAt(t.startsWith("#") ? 1 : 0))) {
        throw AwsFault.validation("Invalid expression: Syntax error; token: \"" + t + "\"");
      }
      if (t.startsWith("#")) {
        names.add(t);
      }
      return new Path(t);
    }

    void end() {
      if (peek() != null) {
        throw AwsFault.validation("Invalid expression: Syntax error; token: \"" + peek() + "\"");
      }
    }
  }

  private static Node parseCondition(String expression, Set<String> names, Set<String> values) {
    if (expression == null || expression.isBlank()) {
      throw AwsFault.validation("Invalid ConditionExpression: The expression can not be empty;");
    }
    Parser p = new Parser(expression, names, values);
    Node node = p.or();
    p.end();
    return node;
  }

  private static List<Assignment> parseUpdate(
      String expression, Set<String> names, Set<String> values) {
    if (expression == null || expression.isBlank()) {
      throw AwsFault.validation("Invalid UpdateExpression: The expression can not be empty;");
    }
    Parser p = new Parser(expression, names, values);
    List<Assignment> out = new ArrayList<>();
    while (p.peek() != null) {
      String clause = p.next().toUpperCase(java.util.Locale.ROOT);
      if (!clause.equals("SET") && !clause.equals("REMOVE")) {
        throw AwsFault.validation(
            "Invalid UpdateExpression: Syntax error; token: \"" + clause + "\"");
      }
      do {
        if (!out.isEmpty() && p.is(",")) {
          p.next();
        }
        String path = p.path().path();
        if (clause.equals("SET")) {
          p.expect("=");
          Operand value = p.operand();
          if (p.is("+") || p.is("-")) {
            value = new Arithmetic(value, p.next(), p.operand());
          }
          out.add(new Assignment(path, value));
        } else {
          out.add(new Assignment(path, null));
        }
      } while (p.is(","));
    }
    return out;
  }
}
