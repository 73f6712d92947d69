package dev.driftguard.fleet;

import dev.driftguard.testing.InMemoryTurnLease;
import java.time.Clock;

/** The in-memory fake keeps the same contract as the DynamoDB adapter. */
class InMemoryTurnLeaseContractTest extends TurnLeaseContract {
  private final InMemoryTurnLease store = new InMemoryTurnLease(time, MAX_SKEW);

  @Override
  protected TurnLease lease(Clock clock) {
    return store.as(clock);
  }
}
