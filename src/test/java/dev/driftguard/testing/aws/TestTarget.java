package dev.driftguard.testing.aws;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An application behind a local target group in tests: {@code /healthz} answers {@link
 * #healthStatus}, {@code /slow} holds the request until {@link #releaseSlow()}, anything else
 * answers {@code 200 NAME}. Counts health checks and requests.
 */
final class TestTarget implements AutoCloseable {
  final String name;
  final AtomicInteger healthStatus = new AtomicInteger(200);
  final AtomicInteger healthChecks = new AtomicInteger();
  final AtomicInteger requests = new AtomicInteger();
  final AtomicReference<String> lastUserAgent = new AtomicReference<>();
  final CountDownLatch slowArrived = new CountDownLatch(1);
  private final CountDownLatch slowRelease = new CountDownLatch(1);
  private final HttpServer server;
  private final ExecutorService executor = Executors.newFixedThreadPool(8);

  TestTarget(String name) throws IOException {
    this.name = name;
    server =
        HttpServer.create(
            new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0), 16);
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  int port() {
    return server.getAddress().getPort();
  }

  void releaseSlow() {
    slowRelease.countDown();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      exchange.getRequestBody().readAllBytes();
      String path = exchange.getRequestURI().getPath();
      int status = 200;
      if (path.equals("/healthz")) {
        healthChecks.incrementAndGet();
        lastUserAgent.set(exchange.getRequestHeaders().getFirst("User-Agent"));
        status = healthStatus.get();
      } else {
        requests.incrementAndGet();
        if (path.equals("/slow")) {
          slowArrived.countDown();
          try {
            if (!slowRelease.await(10, TimeUnit.SECONDS)) {
              status = 500;
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            status = 500;
          }
        }
      }
      byte[] body = name.getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(status, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  @Override
  public void close() {
    releaseSlow();
    server.stop(0);
    executor.shutdownNow();
  }
}
