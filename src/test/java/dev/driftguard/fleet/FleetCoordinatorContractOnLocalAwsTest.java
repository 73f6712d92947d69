package dev.driftguard.fleet;

import dev.driftguard.testing.ContractTargetGroup;
import dev.driftguard.testing.LocalAwsContractTargetGroup;

/** The AWS adapter keeps the {@link FleetCoordinator} contract through the real SDK clients. */
class FleetCoordinatorContractOnLocalAwsTest extends FleetCoordinatorContract {
  @Override
  protected ContractTargetGroup newGroup() {
    return new LocalAwsContractTargetGroup();
  }
}
