package dev.driftguard.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftguard.model.DriftguardException;
import dev.driftguard.testing.FakeTime;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AgentHttpServerTest {
  private static final InetSocketAddress ANY_PORT =
      new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

  private final HttpClient http = HttpClient.newHttpClient();
  private final FakeTime time = FakeTime.startingAt("2025-03-01T10:00:00Z");
  private final AtomicReference<Instant> lastTick = new AtomicReference<>();
  private final AgentMetrics metrics = new AgentMetrics(List.of("web"));
  private final LoopHealth health = new LoopHealth(lastTick::get, Duration.ofSeconds(15), time);
  private AgentHttpServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
    metrics.close();
  }

  @Test
  void metrics_isPrometheusText004() throws Exception {
    server = start(ANY_PORT, ANY_PORT);
    HttpResponse<String> response = get(server.metricsAddress(), "/metrics");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type"))
        .contains("text/plain; version=0.0.4; charset=utf-8");
    assertThat(response.body())
        .contains("# TYPE driftguard_deploys_total counter")
        .contains("driftguard_in_sync{service=\"web\"} 0.0");
  }

  @Test
  void healthz_isOkWhileTheLoopTicks_and503WhenItStalls() throws Exception {
    server = start(ANY_PORT, ANY_PORT);
    assertThat(get(server.metricsAddress(), "/healthz").statusCode())
        .as("within the allowance after start")
        .isEqualTo(200);

    time.advance(Duration.ofSeconds(46));
    HttpResponse<String> neverTicked = get(server.metricsAddress(), "/healthz");
    assertThat(neverTicked.statusCode()).isEqualTo(503);
    assertThat(neverTicked.body()).contains("no reconcile pass finished").endsWith("\n");

    lastTick.set(time.instant());
    time.advance(Duration.ofSeconds(45));
    HttpResponse<String> recent = get(server.metricsAddress(), "/healthz");
    assertThat(recent.statusCode()).isEqualTo(200);
    assertThat(recent.body()).startsWith("ok: last reconcile pass finished 45s ago");

    time.advance(Duration.ofSeconds(1));
    HttpResponse<String> stale = get(server.metricsAddress(), "/healthz");
    assertThat(stale.statusCode()).isEqualTo(503);
    assertThat(stale.body().strip())
        .isEqualTo("last reconcile pass finished 46s ago, more than 3 poll intervals (45s)");
  }

  @Test
  void sameAddress_servesAllThreeOnOneServer() throws Exception {
    server = start(ANY_PORT, ANY_PORT);
    assertThat(server.statusAddress()).isEqualTo(server.metricsAddress());
    HttpResponse<String> status = get(server.statusAddress(), "/status");
    assertThat(status.statusCode()).isEqualTo(200);
    assertThat(status.headers().firstValue("Content-Type")).contains("application/json");
    assertThat(status.body()).contains("\"services\"");
  }

  @Test
  void differentAddresses_serveStatusOnlyOnTheStatusAddress() throws Exception {
    // Two port-0 addresses on one host are the same address: use a second loopback address.
    InetSocketAddress other = new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0);
    server = start(ANY_PORT, other);
    assertThat(server.statusAddress().getPort()).isNotEqualTo(server.metricsAddress().getPort());
    assertThat(get(server.statusAddress(), "/status").statusCode()).isEqualTo(200);
    assertThat(get(server.metricsAddress(), "/status").statusCode()).isEqualTo(404);
    assertThat(get(server.statusAddress(), "/metrics").statusCode()).isEqualTo(404);
  }

  @Test
  void unknownPathsAndMethods_areRefused() throws Exception {
    server = start(ANY_PORT, ANY_PORT);
    assertThat(get(server.metricsAddress(), "/metricsx").statusCode()).isEqualTo(404);
    assertThat(get(server.metricsAddress(), "/").statusCode()).isEqualTo(404);
    HttpResponse<String> post =
        http.send(
            HttpRequest.newBuilder(uri(server.metricsAddress(), "/metrics"))
                .POST(HttpRequest.BodyPublishers.ofString("x"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(post.statusCode()).isEqualTo(405);
    assertThat(post.headers().firstValue("Allow")).contains("GET, HEAD");
  }

  @Test
  void aTakenPort_failsWithTheSettingToChange() {
    server = start(ANY_PORT, ANY_PORT);
    assertThatThrownBy(() -> start(server.metricsAddress(), server.metricsAddress()))
        .isInstanceOf(DriftguardException.class)
        .hasMessageContaining("cannot listen on 127.0.0.1:" + server.metricsAddress().getPort())
        .hasMessageContaining("agent.metrics.listen");
  }

  @Test
  void close_stopsServingAndItsThreads() throws Exception {
    server = start(ANY_PORT, ANY_PORT);
    InetSocketAddress address = server.metricsAddress();
    assertThat(get(address, "/metrics").statusCode()).isEqualTo(200);
    server.close();
    server = null;
    assertThatThrownBy(() -> get(address, "/metrics")).isInstanceOf(java.io.IOException.class);
    Thread.sleep(100);
    assertThat(Thread.getAllStackTraces().keySet())
        .noneMatch(t -> t.getName().startsWith("driftguard-http-") && t.isAlive());
  }

  private AgentHttpServer start(InetSocketAddress metricsAt, InetSocketAddress statusAt) {
    return AgentHttpServer.start(
        metricsAt,
        statusAt,
        new AgentHttpServer.Endpoints(
            metrics::scrape, health::check, () -> "{\"agent\": {}, \"services\": []}\n"));
  }

  private HttpResponse<String> get(InetSocketAddress address, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(uri(address, path)).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static URI uri(InetSocketAddress address, String path) {
    return URI.create(
        "http://" + address.getAddress().getHostAddress() + ":" + address.getPort() + path);
  }
}
