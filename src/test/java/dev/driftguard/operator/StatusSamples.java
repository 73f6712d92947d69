package dev.driftguard.operator;

/** {@code /status} documents as the agent serves them (schema in issue 4). */
final class StatusSamples {
  static final String DIGEST_A = "sha256:" + "a1".repeat(32);
  static final String DIGEST_B = "sha256:" + "b2".repeat(32);

  /** Two services at 2024-05-01T12:00:00Z: web in sync behind a load balancer, worker not. */
  static final String TWO_SERVICES =
"""
{"agent": {"version": "0.1.0", "instanceId": "i-0abc", "lastTick": "2024-05-01T11:59:57Z",
           "lastSuccessfulPoll": "2024-05-01T11:59:50Z"},
 "services": [
  {"name": "web", "inSync": true, "phase": "idle",
   "desired": {"state": "pinned", "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/web@%1$s",
               "digest": "%1$s", "detail": null},
   "running": {"container": "web", "digest": "%1$s", "state": "running", "health": "healthy"},
   "target": {"port": 80, "state": "healthy"},
   "lastDeploy": {"outcome": "success", "at": "2024-05-01T11:55:00Z", "durationSeconds": 12.3},
   "failedDigest": null, "lastError": null},
  {"name": "worker", "inSync": false, "phase": "idle",
   "desired": {"state": "rejected", "image": null, "digest": null,
               "detail": "registry evil.example.com is not in allowedRegistries"},
   "running": {"container": "worker", "digest": "%1$s", "state": "exited", "health": "none"},
   "target": null,
   "lastDeploy": {"outcome": "rolled_back", "at": "2024-05-01T10:00:00Z", "durationSeconds": 95},
   "failedDigest": "%2$s", "lastError": "health check failed: HTTP 500 from /healthz"}
 ]}
"""
          .formatted(DIGEST_A, DIGEST_B);

  private StatusSamples() {}
}
