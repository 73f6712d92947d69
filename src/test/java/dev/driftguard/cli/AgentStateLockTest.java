package dev.driftguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftguard.testing.StateLockHolder;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent takes the state directory's lock before it acts: {@code once} beside a running agent
 * refuses with what to do, and touches nothing (the lock comes before the Docker engine is asked).
 */
class AgentStateLockTest {
  @TempDir Path dir;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @Test
  void once_whileAnotherAgentHoldsTheStateDirectory_exits1NamingTheLockAndWhatToDo()
      throws Exception {
    Path stateDir = dir.resolve("state");
    Path config = dir.resolve("driftguard.yaml");
    Files.writeString(
        config,
        """
        agent:
          stateDir: ./state
          docker: { host: "unix:///nonexistent/docker.sock" }
          aws: { region: us-east-1, instanceId: i-0000000000000001 }
        services:
          - name: web
            desired: { file: desired/web }
            health: { type: none }
        """);

    try (StateLockHolder running = StateLockHolder.start(stateDir)) {
      int exit =
          new Main(
                  Map.of(),
                  new PrintStream(out, true, StandardCharsets.UTF_8),
                  new PrintStream(err, true, StandardCharsets.UTF_8))
              .execute(new String[] {"once", "--config", config.toString()});

      assertThat(exit).isEqualTo(ExitCode.ERROR);
      assertThat(err.toString(StandardCharsets.UTF_8))
          .contains("another driftguard agent (pid " + running.pid() + ")")
          .contains(stateDir.resolve("lock").toString())
          .contains("systemctl stop driftguard");
    }
  }
}
