package dev.driftguard.operator;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.Reservation;
import software.amazon.awssdk.services.ec2.model.Tag;

/**
 * {@link FleetState} from {@code DescribeInstances}, filtered server-side to running instances that
 * carry the service's {@code running} tag. One paginated call per read returns every host with all
 * its tags, where {@code DescribeTags} would need a call per tag key or a client-side join; stopped
 * and terminated instances are left out because their tags describe a host that no longer serves.
 */
final class Ec2FleetState implements FleetState {
  private final Ec2Client ec2;

  Ec2FleetState(Ec2Client ec2) {
    this.ec2 = ec2;
  }

  @Override
  public List<HostState> hosts(String service) {
    String prefix = HostState.tagPrefix(service);
    List<HostState> hosts = new ArrayList<>();
    try {
      for (Reservation reservation :
          ec2.describeInstancesPaginator(
                  r ->
                      r.filters(
                          Filter.builder()
                              .name("tag-key")
                              .values(HostState.runningTag(service))
                              .build(),
                          Filter.builder().name("instance-state-name").values("running").build()))
              .reservations()) {
        for (Instance instance : reservation.instances()) {
          Map<String, String> tags = new HashMap<>();
          for (Tag tag : instance.tags()) {
            if (tag.key().startsWith(prefix) && tag.value() != null && !tag.value().isBlank()) {
              tags.put(tag.key().substring(prefix.length()), tag.value().strip());
            }
          }
          hosts.add(
              new HostState(
                  instance.instanceId(),
                  tags.get("running"),
                  tags.get("phase"),
                  tags.get("outcome"),
                  tags.get("failed"),
                  Text.instant(tags.get("updated"))));
        }
      }
    } catch (SdkException e) {
      throw AwsCallException.of("reading the EC2 tags of " + service + "'s hosts", e);
    }
    hosts.sort(Comparator.comparing(HostState::instanceId));
    return hosts;
  }
}
