package dev.driftguard.health;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.driftguard.health.HealthCheck.ProbeResult;
import dev.driftguard.model.ContainerInfo;
import dev.driftguard.model.ContainerSpec;
import dev.driftguard.model.HealthSpec;
import dev.driftguard.model.PortBinding;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The probes against servers on 127.0.0.1 of this JVM, standing in for published ports. */
class HealthCheckTest {
  private static final int CONTAINER_PORT = 8080;

  private HttpServer server;
  private final CountDownLatch release = new CountDownLatch(1);

  @AfterEach
  void stopServer() {
    release.countDown();
    if (server != null) {
      server.stop(0);
    }
  }

  @Test
  void http_whenAppAnswers200_passes() throws IOException {
    int port = serve(200);

    ProbeResult result =
        HealthChecks.create()
            .forType(HealthSpec.Type.HTTP)
            .probe(running(), published(port), http());

    assertThat(result).isEqualTo(ProbeResult.pass("HTTP 200"));
  }

  @Test
  void http_whenAppRedirects_passesWithoutFollowing() throws IOException {
    int port = serve(302);

    assertThat(HttpHealthCheck.create().probe(running(), published(port), http()))
        .isEqualTo(ProbeResult.pass("HTTP 302"));
  }

  @Test
  void http_whenAppAnswers503_fails() throws IOException {
    int port = serve(503);

    assertThat(HttpHealthCheck.create().probe(running(), published(port), http()))
        .isEqualTo(ProbeResult.fail("HTTP 503"));
  }

  @Test
  void http_requestsTheConfiguredPath() throws IOException {
    AtomicReference<String> seen = new AtomicReference<>();
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        exchange -> {
          seen.set(exchange.getRequestURI().getPath());
          exchange.sendResponseHeaders(204, -1);
          exchange.close();
        });
    server.start();

    ProbeResult result =
        HttpHealthCheck.create().probe(running(), published(server.getAddress().getPort()), http());

    assertThat(result.healthy()).isTrue();
    assertThat(seen.get()).isEqualTo("/healthz");
  }

  @Test
  void http_whenAppHangs_failsWithinTheTimeout() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        exchange -> {
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          exchange.close();
        });
    server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
    server.start();
    HealthSpec spec = withTimeout(HealthSpec.Type.HTTP, Duration.ofMillis(300));

    long started = System.nanoTime();
    ProbeResult result =
        HttpHealthCheck.create().probe(running(), published(server.getAddress().getPort()), spec);

    assertThat(result.healthy()).isFalse();
    assertThat(result.detail()).contains("300 ms");
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(3));
  }

  @Test
  void http_whenNothingListens_failsWithConnectionRefused() {
    int port = closedPort();

    assertThat(HttpHealthCheck.create().probe(running(), published(port), http()))
        .isEqualTo(ProbeResult.fail("connection refused"));
  }

  @Test
  void http_whenPortNotPublished_failsAndSaysSo() {
    ContainerSpec unpublished = spec(List.of(new PortBinding("127.0.0.1", 9999, 9090, "tcp")));

    ProbeResult result = HttpHealthCheck.create().probe(running(), unpublished, http());

    assertThat(result.healthy()).isFalse();
    assertThat(result.detail()).contains("8080/tcp is not published");
  }

  @Test
  void http_probesLoopbackWhenPublishedOnEveryAddress() throws IOException {
    int port = serve(200);
    ContainerSpec everywhere = spec(List.of(new PortBinding("", port, CONTAINER_PORT, "tcp")));

    assertThat(HttpHealthCheck.create().probe(running(), everywhere, http()).healthy()).isTrue();
  }

  @Test
  void tcp_whenListening_passes() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      ProbeResult result =
          new TcpHealthCheck()
              .probe(
                  running(),
                  published(socket.getLocalPort()),
                  withTimeout(HealthSpec.Type.TCP, Duration.ofSeconds(1)));

      assertThat(result.healthy()).isTrue();
    }
  }

  @Test
  void tcp_whenNothingListens_fails() {
    ProbeResult result =
        new TcpHealthCheck()
            .probe(
                running(),
                published(closedPort()),
                withTimeout(HealthSpec.Type.TCP, Duration.ofSeconds(1)));

    assertThat(result).isEqualTo(ProbeResult.fail("connection refused"));
  }

  @Test
  void everyProbe_ofAnExitedContainer_fails() {
    ContainerInfo exited = container(ContainerInfo.State.EXITED, ContainerInfo.Health.HEALTHY);

    for (HealthSpec.Type type : HealthSpec.Type.values()) {
      ProbeResult result =
          HealthChecks.create()
              .forType(type)
              .probe(exited, published(1), withTimeout(type, Duration.ofSeconds(1)));
      assertThat(result.healthy()).as(type.name()).isFalse();
      assertThat(result.detail()).as(type.name()).isEqualTo("container is exited");
    }
  }

  @Test
  void docker_followsTheImagesHealthcheck() {
    HealthCheck check = HealthChecks.create().forType(HealthSpec.Type.DOCKER);
    HealthSpec spec = withTimeout(HealthSpec.Type.DOCKER, Duration.ofSeconds(1));

    assertThat(
            check
                .probe(
                    container(ContainerInfo.State.RUNNING, ContainerInfo.Health.HEALTHY),
                    published(1),
                    spec)
                .healthy())
        .isTrue();
    assertThat(
            check
                .probe(
                    container(ContainerInfo.State.RUNNING, ContainerInfo.Health.STARTING),
                    published(1),
                    spec)
                .healthy())
        .isFalse();
    assertThat(
            check
                .probe(
                    container(ContainerInfo.State.RUNNING, ContainerInfo.Health.UNHEALTHY),
                    published(1),
                    spec)
                .healthy())
        .isFalse();
    assertThat(
            check
                .probe(
                    container(ContainerInfo.State.RUNNING, ContainerInfo.Health.NONE),
                    published(1),
                    spec)
                .detail())
        .startsWith("image has no HEALTHCHECK");
  }

  @Test
  void none_passesWhileRunning() {
    HealthCheck check = HealthChecks.create().forType(HealthSpec.Type.NONE);
    HealthSpec spec = withTimeout(HealthSpec.Type.NONE, Duration.ofSeconds(1));

    assertThat(check.probe(running(), published(1), spec)).isEqualTo(ProbeResult.pass("running"));
  }

  private int serve(int status) throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        exchange -> {
          if (status >= 300 && status < 400) {
            exchange.getResponseHeaders().add("Location", "/elsewhere");
          }
          exchange.sendResponseHeaders(status, -1);
          exchange.close();
        });
    server.start();
    return server.getAddress().getPort();
  }

  private static int closedPort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private static HealthSpec http() {
    return withTimeout(HealthSpec.Type.HTTP, Duration.ofSeconds(2));
  }

  private static HealthSpec withTimeout(HealthSpec.Type type, Duration timeout) {
    return new HealthSpec(
        type,
        CONTAINER_PORT,
        "/healthz",
        Duration.ofSeconds(1),
        timeout,
        1,
        Duration.ofSeconds(30));
  }

  private static ContainerSpec published(int hostPort) {
    return spec(List.of(new PortBinding("127.0.0.1", hostPort, CONTAINER_PORT, "tcp")));
  }

  private static ContainerSpec spec(List<PortBinding> ports) {
    return new ContainerSpec(
        ports, Map.of(), Map.of(), List.of(), List.of(), "SIGTERM", Duration.ofSeconds(10), 0);
  }

  private static ContainerInfo running() {
    return container(ContainerInfo.State.RUNNING, ContainerInfo.Health.NONE);
  }

  private static ContainerInfo container(ContainerInfo.State state, ContainerInfo.Health health) {
    return new ContainerInfo(
        "c1",
        "web",
        "sha256:img",
        Map.of(),
        state,
        health,
        0,
        0,
        Instant.parse("2025-01-01T00:00:00Z"));
  }
}
