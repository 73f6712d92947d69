package dev.driftguard.traffic;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A container's health endpoint stand-in on 127.0.0.1: answers every GET with a settable status.
 */
final class HealthEndpoint implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService executor = Executors.newFixedThreadPool(2);
  private volatile int status = 200;

  HealthEndpoint() {
    try {
      server =
          HttpServer.create(
              new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0), 16);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.setExecutor(executor);
    server.createContext(
        "/",
        exchange -> {
          try (exchange) {
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(status, -1);
          }
        });
    server.start();
  }

  int port() {
    return server.getAddress().getPort();
  }

  void status(int status) {
    this.status = status;
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
