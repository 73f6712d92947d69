package dev.driftguard.testing.aws;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.driftguard.testing.aws.DynamoTables.Page;
import dev.driftguard.testing.aws.DynamoTables.Request;
import dev.driftguard.testing.aws.DynamoTables.Value;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * DynamoDB over JSON 1.0 ({@code X-Amz-Target: DynamoDB_20120810.*}): {@code PutItem}, {@code
 * UpdateItem} and {@code DeleteItem} with {@code ConditionExpression}, {@code GetItem} (with {@code
 * ConsistentRead}), {@code Query} and {@code Scan}, on the item model of {@link DynamoTables}.
 * Errors carry DynamoDB's namespaced {@code __type} ({@code
 * com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException}), which the SDK turns into its
 * exception classes. Throttling ({@code ProvisionedThroughputExceededException}, {@code
 * ThrottlingException}) is injected like any fault ({@link LocalAws#failNext}).
 *
 * <p>Test knobs: {@link #tables()} ({@code createTable}, {@code items}), {@link #createLeaseTable}.
 */
public final class DynamoDbService extends JsonService {
  private static final String ERROR_NAMESPACE = "com.amazonaws.dynamodb.v20120810#";

  private final DynamoTables tables = new DynamoTables();

  DynamoDbService() {
    super("DynamoDB_20120810", "application/x-amz-json-1.0");
  }

  @Override
  public String key() {
    return "dynamodb";
  }

  @Override
  protected String errorType(String code) {
    return ERROR_NAMESPACE + code;
  }

  public DynamoTables tables() {
    return tables;
  }

  /** The turn-lease table as docs/install.md creates it: {@code pool} (S) and {@code slot} (N). */
  public void createLeaseTable(String name) {
    tables.createTable(name, "pool", "S", "slot", "N");
  }

  @Override
  protected Map<String, Function<JsonNode, JsonNode>> operations() {
    return Map.of(
        "PutItem", this::putItem,
        "UpdateItem", this::updateItem,
        "DeleteItem", this::deleteItem,
        "GetItem", this::getItem,
        "Query", this::query,
        "Scan", this::scan);
  }

  private JsonNode putItem(JsonNode input) {
    tables.putItem(request(input, "Item"));
    return JSON.createObjectNode();
  }

  private JsonNode updateItem(JsonNode input) {
    tables.updateItem(request(input, "Key"));
    return JSON.createObjectNode();
  }

  private JsonNode deleteItem(JsonNode input) {
    tables.deleteItem(request(input, "Key"));
    return JSON.createObjectNode();
  }

  private JsonNode getItem(JsonNode input) {
    Map<String, Value> item =
        tables.getItem(requiredString(input, "TableName"), item(input.get("Key")));
    ObjectNode output = JSON.createObjectNode();
    if (item != null) {
      output.set("Item", json(item));
    }
    return output;
  }

  private JsonNode query(JsonNode input) {
    return page(tables.query(request(input, null)));
  }

  private JsonNode scan(JsonNode input) {
    return page(tables.scan(request(input, null)));
  }

  private static JsonNode page(Page page) {
    ObjectNode output = JSON.createObjectNode();
    ArrayNode items = output.putArray("Items");
    page.items().forEach(i -> items.add(json(i)));
    output.put("Count", page.items().size()).put("ScannedCount", page.items().size());
    if (page.lastKey() != null) {
      output.set("LastEvaluatedKey", json(page.lastKey()));
    }
    return output;
  }

  private static Request request(JsonNode input, String itemMember) {
    String table = requiredString(input, "TableName");
    Map<String, Value> item = itemMember == null ? null : item(input.get(itemMember));
    if (itemMember != null && item == null) {
      throw AwsFault.validation(
          "1 validation error detected: Value null at '"
              + lowerFirst(itemMember)
              + "' failed to satisfy constraint: Member must not be null");
    }
    String condition =
        optionalString(input, "ConditionExpression")
            .or(() -> optionalString(input, "KeyConditionExpression"))
            .orElse(null);
    Map<String, String> names = new HashMap<>();
    JsonNode namesNode = input.get("ExpressionAttributeNames");
    if (namesNode != null) {
      namesNode.fields().forEachRemaining(e -> names.put(e.getKey(), e.getValue().asText()));
    }
    Map<String, Value> values = item(input.get("ExpressionAttributeValues"));
    int limit = input.has("Limit") ? input.get("Limit").asInt() : 0;
    return new Request(
        table,
        item,
        condition,
        optionalString(input, "UpdateExpression").orElse(null),
        names,
        values,
        item(input.get("ExclusiveStartKey")),
        limit);
  }

  /** {@code {"name": {"S": "x"}, ...}} to the model; null for a missing member. */
  private static Map<String, Value> item(JsonNode node) {
    if (node == null || node.isNull()) {
      return null;
    }
    Map<String, Value> item = new LinkedHashMap<>();
    Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> field = fields.next();
      JsonNode value = field.getValue();
      if (value.size() != 1) {
        throw AwsFault.validation(
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one of"
                + " the supported datatypes");
      }
      String type = value.fieldNames().next();
      JsonNode text = value.get(type);
      switch (type) {
        case "S" -> item.put(field.getKey(), Value.s(text.asText()));
        case "N" -> {
          try {
            item.put(field.getKey(), Value.n(text.asText()));
          } catch (NumberFormatException e) {
            throw AwsFault.validation(
                "The parameter cannot be converted to a numeric value: " + text.asText());
          }
        }
        case "BOOL" ->
            item.put(field.getKey(), new Value("BOOL", Boolean.toString(text.asBoolean())));
        case "NULL" -> item.put(field.getKey(), new Value("NULL", "true"));
        default ->
            throw AwsFault.validation(
                "local-aws supports attribute types S, N, BOOL and NULL only, got " + type);
      }
    }
    return item;
  }

  private static ObjectNode json(Map<String, Value> item) {
    ObjectNode node = JSON.createObjectNode();
    item.forEach(
        (name, value) -> {
          ObjectNode v = node.putObject(name);
          switch (value.type()) {
            case "BOOL" -> v.put("BOOL", Boolean.parseBoolean(value.text()));
            case "NULL" -> v.put("NULL", true);
            default -> v.put(value.type(), value.text());
          }
        });
    return node;
  }
}
