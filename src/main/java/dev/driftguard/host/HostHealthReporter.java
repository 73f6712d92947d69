package dev.driftguard.host;

/**
 * Port: tells the instance's Auto Scaling group that this host is unhealthy, so the group
 * terminates and replaces it (on AWS: {@code autoscaling:SetInstanceHealth}).
 */
public interface HostHealthReporter {

  /**
   * Marks this instance {@code Unhealthy}, respecting the group's health check grace period.
   *
   * @throws HostHealthReportException when the report did not go through; {@link
   *     HostHealthReportException#permanent()} says whether trying again could help
   */
  void reportUnhealthy();
}
