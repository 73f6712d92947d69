package dev.driftguard.operator;

import java.util.List;

/** Port: every host's published state for a service (EC2 tags on the hosts' own instances). */
interface FleetState {

  /**
   * The running instances that publish state for {@code service}, by instance id.
   *
   * @throws AwsCallException when EC2 cannot be read
   */
  List<HostState> hosts(String service);
}
