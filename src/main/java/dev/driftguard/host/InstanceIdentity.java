package dev.driftguard.host;

import java.util.Map;
import java.util.Optional;

/**
 * Port: who this host is (IMDSv2 on EC2; configured values in local mode), and whether it is about
 * to go away.
 */
public interface InstanceIdentity {

  String instanceId();

  String region();

  String availabilityZone();

  /** The instance's tags (instance metadata tags, or EC2 DescribeTags when those are off). */
  Map<String, String> tags();

  /**
   * A notice that the instance is going away: a spot interruption ({@code spot/instance-action}) or
   * an Auto Scaling target lifecycle state of {@code Terminated}/terminating.
   *
   * @return what announced it, e.g. "spot interruption at 2026-01-01T00:02:00Z"
   */
  Optional<String> terminationNotice();
}
