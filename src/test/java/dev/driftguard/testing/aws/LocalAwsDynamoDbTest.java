package dev.driftguard.testing.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftguard.cli.AwsClients;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;

/**
 * Pins the DynamoDB behaviours of {@link LocalAws} that the lease relies on, through the real SDK.
 */
class LocalAwsDynamoDbTest {
  private static final String TABLE = "leases";

  private LocalAws aws;
  private AwsClients clients;
  private DynamoDbClient dynamo;

  @BeforeEach
  void start() {
    aws = LocalAws.builder().start();
    aws.dynamodb().createLeaseTable(TABLE);
    clients = aws.newClients();
    dynamo = clients.dynamodb();
  }

  @AfterEach
  void stop() {
    clients.close();
    aws.close();
  }

  private static Map<String, AttributeValue> key(String pool, int slot) {
    return Map.of(
        "pool", AttributeValue.fromS(pool), "slot", AttributeValue.fromN(Integer.toString(slot)));
  }

  private void put(String pool, int slot, String owner) {
    Map<String, AttributeValue> item = new java.util.HashMap<>(key(pool, slot));
    item.put("owner", AttributeValue.fromS(owner));
    item.put("generation", AttributeValue.fromN("1"));
    dynamo.putItem(b -> b.tableName(TABLE).item(item));
  }

  @Test
  void putItem_attributeNotExists_onAnExistingItem_isConditionalCheckFailed() {
    put("p", 0, "i-a");

    assertThatThrownBy(
            () ->
                dynamo.putItem(
                    b ->
                        b.tableName(TABLE)
                            .item(key("p", 0))
                            .conditionExpression("attribute_not_exists(#pool)")
                            .expressionAttributeNames(Map.of("#pool", "pool"))))
        .isInstanceOf(ConditionalCheckFailedException.class)
        .hasMessageContaining("The conditional request failed");
  }

  @Test
  void updateItem_setAndRemove_underACondition_andArithmetic() {
    put("p", 0, "i-a");

    dynamo.updateItem(
        b ->
            b.tableName(TABLE)
                .key(key("p", 0))
                .updateExpression("SET #gen = #gen + :one REMOVE #owner")
                .conditionExpression("#owner = :me AND #gen = :one")
                .expressionAttributeNames(Map.of("#gen", "generation", "#owner", "owner"))
                .expressionAttributeValues(
                    Map.of(":one", AttributeValue.fromN("1"), ":me", AttributeValue.fromS("i-a"))));

    Map<String, AttributeValue> item =
        dynamo.getItem(b -> b.tableName(TABLE).key(key("p", 0)).consistentRead(true)).item();
    assertThat(item.get("generation").n()).isEqualTo("2");
    assertThat(item).doesNotContainKey("owner");
  }

  @Test
  void unusedPlaceholder_isAValidationException_asAwsWordsIt() {
    assertThatThrownBy(
            () ->
                dynamo.updateItem(
                    b ->
                        b.tableName(TABLE)
                            .key(key("p", 0))
                            .updateExpression("SET #owner = :me")
                            .expressionAttributeNames(Map.of("#owner", "owner"))
                            .expressionAttributeValues(
                                Map.of(
                                    ":me",
                                    AttributeValue.fromS("x"),
                                    ":unused",
                                    AttributeValue.fromS("y")))))
        .isInstanceOf(DynamoDbException.class)
        .hasMessageContaining("Value provided in ExpressionAttributeValues unused in expressions");
  }

  @Test
  void query_returnsThePartitionBySortKey_inPages() {
    for (int slot : new int[] {10, 2, 1}) {
      put("p", slot, "i-" + slot);
    }
    put("other", 0, "i-x");

    QueryResponse first =
        dynamo.query(
            b ->
                b.tableName(TABLE)
                    .keyConditionExpression("#pool = :p")
                    .consistentRead(true)
                    .limit(2)
                    .expressionAttributeNames(Map.of("#pool", "pool"))
                    .expressionAttributeValues(Map.of(":p", AttributeValue.fromS("p"))));
    QueryResponse second =
        dynamo.query(
            b ->
                b.tableName(TABLE)
                    .keyConditionExpression("#pool = :p")
                    .consistentRead(true)
                    .limit(2)
                    .exclusiveStartKey(first.lastEvaluatedKey())
                    .expressionAttributeNames(Map.of("#pool", "pool"))
                    .expressionAttributeValues(Map.of(":p", AttributeValue.fromS("p"))));

    assertThat(first.items()).extracting(i -> i.get("slot").n()).containsExactly("1", "2");
    assertThat(second.items()).extracting(i -> i.get("slot").n()).containsExactly("10");
    assertThat(second.hasLastEvaluatedKey() && !second.lastEvaluatedKey().isEmpty()).isFalse();
  }

  @Test
  void missingTable_isResourceNotFound() {
    assertThatThrownBy(() -> dynamo.getItem(b -> b.tableName("nope").key(key("p", 0))))
        .isInstanceOf(ResourceNotFoundException.class);
  }
}
