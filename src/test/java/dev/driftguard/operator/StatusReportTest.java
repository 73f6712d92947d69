package dev.driftguard.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class StatusReportTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Instant NOW = Instant.parse("2024-05-01T12:00:00Z");

  @Test
  void render_oneRowPerService_thenWhatNeedsAttention() throws Exception {
    String report = StatusReport.render(JSON.readTree(StatusSamples.TWO_SERVICES), NOW);

    assertThat(report)
        .isEqualTo(
"""
agent 0.1.0 on i-0abc: last tick 3s ago, last successful poll 10s ago

SERVICE  IN SYNC  PHASE  DESIRED       RUNNING                HEALTH   TARGET       LAST DEPLOY
web      yes      idle   a1a1a1a1a1a1  a1a1a1a1a1a1           healthy  healthy :80  success 5m ago (12.3s)
worker   NO       idle   rejected      a1a1a1a1a1a1 (exited)  none     -            rolled_back 2h ago (1m35s)

worker: desired state rejected: registry evil.example.com is not in allowedRegistries (the running container is left as it is)
worker: %s failed here and was rolled back; it is not tried again until the desired value changes
worker: last error: health check failed: HTTP 500 from /healthz
"""
                .formatted(StatusSamples.DIGEST_B));
  }

  @Test
  void render_toleratesMissingFields() throws Exception {
    String report =
        StatusReport.render(
            JSON.readTree(
                """
                {"agent": {}, "services": [{"name": "web", "running": {"state": "missing"}},
                  {"name": "api", "target": {"port": 80, "state": null}}]}
                """),
            NOW);

    assertThat(report)
        .contains("agent - on this host: last tick -, last successful poll -")
        .contains("web      -        -      -        missing  -       -       -")
        .contains("api      -        -      -        -        -       - :80   -");
  }

  @Test
  void render_somethingElse_isAClearError() throws Exception {
    assertThatThrownBy(() -> StatusReport.render(JSON.readTree("{\"hello\": 1}"), NOW))
        .isInstanceOf(OperatorException.class)
        .hasMessageContaining("no services list");
  }
}
