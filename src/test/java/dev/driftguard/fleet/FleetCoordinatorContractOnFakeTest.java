package dev.driftguard.fleet;

import dev.driftguard.testing.ContractTargetGroup;
import dev.driftguard.testing.FakeContractTargetGroup;

/**
 * The fake the unit tests use keeps the same {@link FleetCoordinator} contract as the AWS adapter.
 */
class FleetCoordinatorContractOnFakeTest extends FleetCoordinatorContract {
  @Override
  protected ContractTargetGroup newGroup() {
    return new FakeContractTargetGroup();
  }
}
