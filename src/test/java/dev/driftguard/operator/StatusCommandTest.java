package dev.driftguard.operator;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code driftguard status} through {@code cli.Main} against a local server playing the agent. */
class StatusCommandTest {
  @TempDir Path dir;
  private HttpServer server;
  private int status = 200;
  private String body = StatusSamples.TWO_SERVICES;

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop(0);
    }
  }

  private int serve() throws IOException {
    server =
        HttpServer.create(
            new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0), 0);
    server.createContext(
        "/status",
        exchange -> {
          byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().set("Content-Type", "application/json");
          exchange.sendResponseHeaders(status, bytes.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
          }
        });
    server.start();
    return server.getAddress().getPort();
  }

  private Path config(int port) throws IOException {
    Path file = dir.resolve("driftguard.yaml");
    Files.writeString(
        file,
        """
        agent:
          status: { listen: "127.0.0.1:%d" }
        services:
          - name: "${tag:Name}"
            desired: { allowedRegistries: [registry.example.com] }
        """
            .formatted(port));
    return file;
  }

  @Test
  void status_printsATableFromTheAgentsStatusDocument() throws Exception {
    Path config = config(serve());

    Cli.Run run = Cli.run(Map.of(), "--config", config.toString(), "status");

    assertThat(run.code()).as(run.all()).isZero();
    assertThat(run.out())
        .contains("agent 0.1.0 on i-0abc")
        .contains("SERVICE  IN SYNC  PHASE  DESIRED       RUNNING")
        .contains("web      yes      idle   a1a1a1a1a1a1  a1a1a1a1a1a1")
        .contains("worker: last error: health check failed: HTTP 500 from /healthz");
  }

  @Test
  void json_printsTheDocumentAsItIs() throws Exception {
    Path config = config(serve());

    Cli.Run run = Cli.run(Map.of(), "status", "--json", "--config", config.toString());

    assertThat(run.code()).isZero();
    assertThat(run.out()).isEqualTo(StatusSamples.TWO_SERVICES);
  }

  @Test
  void agentNotRunning_saysSo() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      port = free.getLocalPort();
    }

    Cli.Run run = Cli.run(Map.of(), "--config", config(port).toString(), "status");

    assertThat(run.code()).isEqualTo(1);
    assertThat(run.err())
        .contains("cannot reach the agent at http://127.0.0.1:" + port + "/status")
        .contains("is the agent running? (systemctl status driftguard)");
  }

  @Test
  void agentAnsweringAnError_isReported() throws Exception {
    status = 503;
    body = "starting\n";
    Path config = config(serve());

    Cli.Run run = Cli.run(Map.of(), "--config", config.toString(), "status");

    assertThat(run.code()).isEqualTo(1);
    assertThat(run.err()).contains("answered HTTP 503: starting");
  }

  @Test
  void unexpectedArgument_isAUsageError() {
    Cli.Run run = Cli.run(Map.of(), "status", "web");

    assertThat(run.code()).isEqualTo(64);
    assertThat(run.err()).contains("unexpected argument web");
  }

  @Test
  void mistypedOption_isAUsageError_suggestingTheOption() {
    Cli.Run run = Cli.run(Map.of(), "status", "--jsn");

    assertThat(run.code()).isEqualTo(64);
    assertThat(run.err())
        .startsWith("driftguard status: unknown option --jsn; did you mean --json?\n")
        .contains("usage: driftguard status");
  }
}
