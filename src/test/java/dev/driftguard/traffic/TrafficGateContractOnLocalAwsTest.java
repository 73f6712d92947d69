package dev.driftguard.traffic;

import dev.driftguard.testing.ContractTargetGroup;
import dev.driftguard.testing.LocalAwsContractTargetGroup;

/** The ELBv2 adapter keeps the {@link TrafficGate} contract through the real SDK client. */
class TrafficGateContractOnLocalAwsTest extends TrafficGateContract {
  @Override
  protected ContractTargetGroup newGroup() {
    return new LocalAwsContractTargetGroup();
  }
}
