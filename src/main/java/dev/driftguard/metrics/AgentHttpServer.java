package dev.driftguard.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import dev.driftguard.model.DriftguardException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's HTTP endpoints on the JDK's server: {@code /metrics} and {@code /healthz} on the
 * metrics address, {@code /status} on the (loopback) status address; one server when both addresses
 * are the same. Requests run on a small bounded pool of named daemon threads: a scrape is cheap,
 * and a flood of requests is slowed down (the dispatcher runs the overflow itself) rather than
 * allowed to grow threads without limit.
 */
public final class AgentHttpServer implements AutoCloseable {
  /** What Prometheus expects for text format 0.0.4. */
  static final String METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private static final Logger logger = LoggerFactory.getLogger(AgentHttpServer.class);
  private static final int THREADS = 2;
  private static final int QUEUE = 16;

  /** Seconds {@link #close} waits for exchanges under way. */
  private static final int STOP_DELAY = 1;

  private final List<HttpServer> servers;
  private final ThreadPoolExecutor executor;
  private final HttpServer metricsServer;
  private final HttpServer statusServer;

  private AgentHttpServer(
      List<HttpServer> servers,
      ThreadPoolExecutor executor,
      HttpServer metricsServer,
      HttpServer statusServer) {
    this.servers = servers;
    this.executor = executor;
    this.metricsServer = metricsServer;
    this.statusServer = statusServer;
  }

  /**
   * What the endpoints serve.
   *
   * @param metrics the text exposition
   * @param health the liveness check of {@code /healthz}
   * @param status the JSON document of {@code /status}
   */
  public record Endpoints(
      Supplier<String> metrics, Supplier<LoopHealth.Report> health, Supplier<String> status) {
    public Endpoints {
      Objects.requireNonNull(metrics, "metrics");
      Objects.requireNonNull(health, "health");
      Objects.requireNonNull(status, "status");
    }
  }

  /**
   * Binds and starts serving. Port 0 picks a free port; {@link #metricsAddress} and {@link
   * #statusAddress} tell which.
   *
   * @throws DriftguardException when an address cannot be bound
   */
  public static AgentHttpServer start(
      InetSocketAddress metricsListen, InetSocketAddress statusListen, Endpoints endpoints) {
    ThreadPoolExecutor executor =
        new ThreadPoolExecutor(
            THREADS,
            THREADS,
            60,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(QUEUE),
            daemonThreads(),
            new ThreadPoolExecutor.CallerRunsPolicy());
    executor.allowCoreThreadTimeOut(true);
    List<HttpServer> servers = new ArrayList<>();
    try {
      HttpServer metrics = bind(metricsListen, "agent.metrics.listen", executor);
      servers.add(metrics);
      HttpServer status = metrics;
      if (!sameAddress(metricsListen, statusListen)) {
        status = bind(statusListen, "agent.status.listen", executor);
        servers.add(status);
      }
      metrics.createContext("/metrics", handler("/metrics", e -> metrics(e, endpoints)));
      metrics.createContext("/healthz", handler("/healthz", e -> healthz(e, endpoints)));
      status.createContext("/status", handler("/status", e -> status(e, endpoints)));
      for (HttpServer server : servers) {
        server.createContext("/", handler(null, AgentHttpServer::notFound));
        server.start();
      }
      AgentHttpServer started = new AgentHttpServer(servers, executor, metrics, status);
      logger.info(
          "serving /metrics and /healthz on http://{}, /status on http://{}",
          text(started.metricsAddress()),
          text(started.statusAddress()));
      return started;
    } catch (RuntimeException e) {
      servers.forEach(s -> s.stop(0));
      executor.shutdownNow();
      throw e;
    }
  }

  /** Where {@code /metrics} and {@code /healthz} listen, with the bound port. */
  public InetSocketAddress metricsAddress() {
    return metricsServer.getAddress();
  }

  /** Where {@code /status} listens, with the bound port. */
  public InetSocketAddress statusAddress() {
    return statusServer.getAddress();
  }

  /** Stops the servers (waiting briefly for exchanges under way), then the request threads. */
  @Override
  public void close() {
    for (HttpServer server : servers) {
      server.stop(STOP_DELAY);
    }
    executor.shutdown();
    try {
      if (!executor.awaitTermination(STOP_DELAY, TimeUnit.SECONDS)) {
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      executor.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  private static HttpServer bind(
      InetSocketAddress address, String setting, ThreadPoolExecutor executor) {
    try {
      HttpServer server = HttpServer.create(address, 0);
      server.setExecutor(executor);
      return server;
    } catch (IOException e) {
      throw new DriftguardException(
          "cannot listen on "
              + text(address)
              + " ("
              + setting
              + "): "
              + e.getMessage()
              + "; free the port or change "
              + setting,
          e);
    }
  }

  private static boolean sameAddress(InetSocketAddress a, InetSocketAddress b) {
    return a.getPort() == b.getPort() && Objects.equals(a.getAddress(), b.getAddress());
  }

  private static void metrics(HttpExchange exchange, Endpoints endpoints) throws IOException {
    respond(exchange, 200, METRICS_CONTENT_TYPE, endpoints.metrics().get());
  }

  private static void healthz(HttpExchange exchange, Endpoints endpoints) throws IOException {
    LoopHealth.Report report = endpoints.health().get();
    respond(
        exchange,
        report.healthy() ? 200 : 503,
        "text/plain; charset=utf-8",
        report.detail() + "\n");
  }

  private static void status(HttpExchange exchange, Endpoints endpoints) throws IOException {
    respond(exchange, 200, "application/json", endpoints.status().get());
  }

  private static void notFound(HttpExchange exchange) throws IOException {
    respond(
        exchange,
        404,
        "text/plain; charset=utf-8",
        "not found; the agent serves /metrics, /healthz and /status\n");
  }

  /** Wraps an endpoint: exact path, GET or HEAD only, and a 500 instead of a dropped connection. */
  private static HttpHandler handler(String path, Endpoint endpoint) {
    return exchange -> {
      try (exchange) {
        String method = exchange.getRequestMethod();
        if (path != null && !exchange.getRequestURI().getPath().equals(path)) {
          notFound(exchange);
        } else if (!method.equals("GET") && !method.equals("HEAD")) {
          exchange.getResponseHeaders().set("Allow", "GET, HEAD");
          respond(exchange, 405, "text/plain; charset=utf-8", "only GET and HEAD\n");
        } else {
          endpoint.handle(exchange);
        }
      } catch (IOException e) {
        // The client went away mid-response; nothing to tell it.
        logger.debug("HTTP exchange ended early: {}", e.toString());
      } catch (RuntimeException e) {
        logger.warn("{} failed: {}", path, e.toString());
        try {
          respond(exchange, 500, "text/plain; charset=utf-8", "internal error\n");
        } catch (IOException | RuntimeException ignored) {
          // Headers were already sent; the connection is closed by try-with-resources.
        }
      }
    };
  }

  private static void respond(HttpExchange exchange, int status, String type, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    if (exchange.getRequestMethod().equals("HEAD")) {
      exchange.sendResponseHeaders(status, -1);
      return;
    }
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static String text(InetSocketAddress address) {
    String host =
        address.getAddress() == null
            ? address.getHostString()
            : address.getAddress().getHostAddress();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
  }

  private static ThreadFactory daemonThreads() {
    AtomicInteger count = new AtomicInteger();
    return task -> {
      Thread thread = new Thread(task, "driftguard-http-" + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }

  /** One endpoint's response. */
  @FunctionalInterface
  private interface Endpoint {
    void handle(HttpExchange exchange) throws IOException;
  }
}
