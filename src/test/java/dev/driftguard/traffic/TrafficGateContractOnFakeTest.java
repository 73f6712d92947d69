package dev.driftguard.traffic;

import dev.driftguard.testing.ContractTargetGroup;
import dev.driftguard.testing.FakeContractTargetGroup;

/** The fake the unit tests use keeps the same {@link TrafficGate} contract as the ELBv2 adapter. */
class TrafficGateContractOnFakeTest extends TrafficGateContract {
  @Override
  protected ContractTargetGroup newGroup() {
    return new FakeContractTargetGroup();
  }
}
