package dev.driftguard.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftguard.cli.AwsClients;
import dev.driftguard.model.AwsCallListener;
import dev.driftguard.testing.RecordingAwsCalls;
import dev.driftguard.testing.aws.AwsFault;
import dev.driftguard.testing.aws.LocalAws;
import java.time.Clock;
import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The DynamoDB adapter keeps the {@link TurnLease} contract through the real SDK client against the
 * local AWS endpoint, and words AWS's refusals as every adapter does.
 */
class DynamoDbTurnLeaseContractTest extends TurnLeaseContract {
  private static final String TABLE = "driftguard-leases";
  private static final Duration TTL = Duration.ofSeconds(60);

  private LocalAws aws;
  private AwsClients clients;

  @BeforeEach
  void start() {
    aws = LocalAws.builder().start();
    aws.dynamodb().createLeaseTable(TABLE);
    clients = aws.newClients();
  }

  @AfterEach
  void stop() {
    clients.close();
    aws.close();
  }

  @Override
  protected TurnLease lease(Clock clock) {
    return new DynamoDbTurnLease(
        clients.dynamodb(), TABLE, clock, MAX_SKEW, new SplittableRandom(7), AwsCallListener.NONE);
  }

  @Test
  void acquire_readsConsistentlyAndWritesConditionally() {
    lease(time).acquire("pool", 2, "i-a", TTL).orElseThrow();

    assertThat(aws.requestBodies("dynamodb", "Query"))
        .singleElement()
        .asString()
        .contains("\"ConsistentRead\":true");
    assertThat(aws.requestBodies("dynamodb", "PutItem"))
        .singleElement()
        .asString()
        .contains("attribute_not_exists(#pool)");
  }

  @Test
  void lostRace_isAnAnswer_notAnError() {
    RecordingAwsCalls calls = new RecordingAwsCalls();
    TurnLease lease =
        new DynamoDbTurnLease(
            clients.dynamodb(), TABLE, time, MAX_SKEW, new SplittableRandom(1), calls);
    lease.acquire("pool", 1, "i-a", TTL).orElseThrow();
    lease.release(new TurnLease.Lease("pool", 0, "i-b", 9, time.instant()));

    assertThat(calls.events()).noneMatch(e -> e.startsWith("error"));
    assertThat(calls.events()).contains("ok dynamodb:UpdateItem");
  }

  @Test
  void throttling_becomesAThrottledFleetCoordinationException() {
    // More than the SDK's standard retry mode makes (3 attempts).
    aws.failNext(
        "dynamodb",
        "Query",
        5,
        AwsFault.badRequest(
            "ProvisionedThroughputExceededException",
            "The level of configured provisioned throughput for the table was exceeded."));

    assertThatThrownBy(() -> lease(time).acquire("pool", 1, "i-a", TTL))
        .isInstanceOfSatisfying(
            FleetCoordinationException.class, e -> assertThat(e.throttled()).isTrue())
        .hasMessageContaining("DynamoDB Query failed for table " + TABLE)
        .hasMessageContaining("ProvisionedThroughputExceededException");
  }

  @Test
  void missingTable_saysHowToCreateIt() {
    TurnLease lease =
        new DynamoDbTurnLease(
            clients.dynamodb(),
            "no-such-table",
            time,
            MAX_SKEW,
            new SplittableRandom(1),
            AwsCallListener.NONE);

    assertThatThrownBy(() -> lease.holders("pool"))
        .isInstanceOfSatisfying(
            FleetCoordinationException.class, e -> assertThat(e.throttled()).isFalse())
        .hasMessageContaining("ResourceNotFoundException")
        .hasMessageContaining("docs/install.md");
  }
}
