package dev.driftguard.sim;

import dev.driftguard.testing.aws.AwsFault;
import dev.driftguard.testing.aws.DynamoTables;
import dev.driftguard.testing.aws.DynamoTables.Value;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.DeleteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.DeleteItemResponse;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.GetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.GetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.ProvisionedThroughputExceededException;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;
import software.amazon.awssdk.services.dynamodb.model.PutItemResponse;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemResponse;

/**
 * DynamoDB as the lease adapter calls it, on the same item model and expression language as the
 * local AWS endpoint ({@link DynamoTables}). Writes are atomic; reads are strongly consistent and
 * never lag. On-demand per-partition limits apply (a lease pool is one partition key): one read
 * unit per consistent read of up to 4 KB, one write unit per write of up to 1 KB, failed
 * conditional writes included; beyond them {@code ProvisionedThroughputExceededException}.
 */
public final class SimDynamoDbClient implements DynamoDbClient {
  /** An item of the lease table is about 100 bytes. */
  private static final int ITEM_BYTES = 100;

  private final SimAws aws;

  /**
   * SDK copies of stored items, by the stored item's identity (the model replaces an item on every
   * write): thousands of hosts query the same pool, and building SDK values dominated the run.
   */
  private final Map<Map<String, Value>, Map<String, AttributeValue>> copies =
      new java.util.IdentityHashMap<>();

  public SimDynamoDbClient(SimAws aws) {
    this.aws = aws;
  }

  private void admit(String operation, ApiLimit limit, String partition, double units) {
    aws.admit(
        "dynamodb:" + operation,
        limit.name(),
        partition,
        units,
        () ->
            SimAws.error(
                ProvisionedThroughputExceededException.builder(),
                "DynamoDb",
                400,
                "ProvisionedThroughputExceededException",
                "The level of configured provisioned throughput for the table was exceeded."));
  }

  @Override
  public PutItemResponse putItem(PutItemRequest r) {
    write(
        "PutItem",
        r.tableName(),
        r.item(),
        r.conditionExpression(),
        null,
        r.expressionAttributeNames(),
        r.expressionAttributeValues(),
        aws.dynamo::putItem);
    return PutItemResponse.builder().build();
  }

  @Override
  public UpdateItemResponse updateItem(UpdateItemRequest r) {
    write(
        "UpdateItem",
        r.tableName(),
        r.key(),
        r.conditionExpression(),
        r.updateExpression(),
        r.expressionAttributeNames(),
        r.expressionAttributeValues(),
        aws.dynamo::updateItem);
    return UpdateItemResponse.builder().build();
  }

  @Override
  public DeleteItemResponse deleteItem(DeleteItemRequest r) {
    write(
        "DeleteItem",
        r.tableName(),
        r.key(),
        r.conditionExpression(),
        null,
        r.expressionAttributeNames(),
        r.expressionAttributeValues(),
        aws.dynamo::deleteItem);
    return DeleteItemResponse.builder().build();
  }

  /** One write unit against the item's partition, then the write on the shared model. */
  private void write(
      String operation,
      String table,
      Map<String, AttributeValue> itemOrKey,
      String condition,
      String update,
      Map<String, String> names,
      Map<String, AttributeValue> values,
      java.util.function.Consumer<DynamoTables.Request> apply) {
    admit(operation, ApiLimit.DYNAMODB_WRITE, partition(itemOrKey), 1);
    DynamoTables.Request request =
        new DynamoTables.Request(
            table, model(itemOrKey), condition, update, names, model(values), null, 0);
    call(
        () -> {
          apply.accept(request);
          return null;
        });
  }

  @Override
  public GetItemResponse getItem(GetItemRequest request) {
    Map<String, Value> item =
        call(() -> aws.dynamo.getItem(request.tableName(), model(request.key())));
    Map<String, AttributeValue> found = item == null ? null : sdk(item);
    // A read unit per 4 KB, strongly consistent; half that eventually consistent (a census of
    // 2,000 targets is ~60 KB).
    double units = Math.max(1, Math.ceil(bytes(found) / 4096.0));
    if (!Boolean.TRUE.equals(request.consistentRead())) {
      units = Math.max(0.5, units / 2);
    }
    admit("GetItem", ApiLimit.DYNAMODB_READ, partition(request.key()), units);
    return found == null
        ? GetItemResponse.builder().build()
        : GetItemResponse.builder().item(found).build();
  }

  private static long bytes(Map<String, AttributeValue> item) {
    if (item == null) {
      return 0;
    }
    long bytes = 0;
    for (var e : item.entrySet()) {
      AttributeValue v = e.getValue();
      bytes += e.getKey().length() + (v.s() != null ? v.s().length() : v.n() != null ? 8 : 1);
    }
    return bytes;
  }

  @Override
  public QueryResponse query(QueryRequest request) {
    String partition =
        request.hasExpressionAttributeValues()
            ? request.expressionAttributeValues().values().iterator().next().s()
            : null;
    DynamoTables.Page page =
        call(
            () ->
                aws.dynamo.query(
                    new DynamoTables.Request(
                        request.tableName(),
                        null,
                        request.keyConditionExpression(),
                        null,
                        request.expressionAttributeNames(),
                        model(request.expressionAttributeValues()),
                        model(request.exclusiveStartKey()),
                        request.limit() == null ? 0 : request.limit())));
    double units = Math.max(1, Math.ceil(page.items().size() * ITEM_BYTES / 4096.0));
    admit("Query", ApiLimit.DYNAMODB_READ, partition, units);
    QueryResponse.Builder response =
        QueryResponse.builder()
            .items(page.items().stream().map(this::cached).toList())
            .count(page.items().size());
    if (page.lastKey() != null) {
      response.lastEvaluatedKey(sdk(page.lastKey()));
    }
    return response.build();
  }

  private static <T> T call(java.util.function.Supplier<T> request) {
    try {
      return request.get();
    } catch (AwsFault fault) {
      throw translate(fault);
    }
  }

  /** A DynamoDB error of the shared model as the SDK raises it. */
  static AwsServiceException translate(AwsFault fault) {
    AwsServiceException.Builder builder =
        switch (fault.code()) {
          case "ConditionalCheckFailedException" -> ConditionalCheckFailedException.builder();
          case "ResourceNotFoundException" -> ResourceNotFoundException.builder();
          default -> DynamoDbException.builder();
        };
    return SimAws.error(builder, "DynamoDb", fault.status(), fault.code(), fault.getMessage());
  }

  private static String partition(Map<String, AttributeValue> key) {
    AttributeValue pool = key == null ? null : key.get("pool");
    return pool == null ? null : pool.s();
  }

  private static Map<String, Value> model(Map<String, AttributeValue> item) {
    if (item == null || item.isEmpty()) {
      return item == null ? null : Map.of();
    }
    Map<String, Value> out = new HashMap<>();
    item.forEach(
        (k, v) -> {
          if (v.s() != null) {
            out.put(k, Value.s(v.s()));
          } else if (v.n() != null) {
            out.put(k, Value.n(v.n()));
          } else if (v.bool() != null) {
            out.put(k, new Value("BOOL", v.bool().toString()));
          } else {
            out.put(k, new Value("NULL", "true"));
          }
        });
    return out;
  }

  private Map<String, AttributeValue> cached(Map<String, Value> item) {
    if (copies.size() > 100_000) {
      copies.clear();
    }
    return copies.computeIfAbsent(item, SimDynamoDbClient::sdk);
  }

  private static Map<String, AttributeValue> sdk(Map<String, Value> item) {
    Map<String, AttributeValue> out = new HashMap<>();
    item.forEach(
        (k, v) ->
            out.put(
                k,
                switch (v.type()) {
                  case "S" -> AttributeValue.fromS(v.text());
                  case "N" -> AttributeValue.fromN(v.text());
                  case "BOOL" -> AttributeValue.fromBool(Boolean.parseBoolean(v.text()));
                  default -> AttributeValue.fromNul(true);
                }));
    return Map.copyOf(out);
  }

  /** For tests and the report: the table's items. */
  List<Map<String, Value>> items(String table) {
    return aws.dynamo.items(table);
  }

  @Override
  public String serviceName() {
    return SERVICE_NAME;
  }

  @Override
  public void close() {}
}
