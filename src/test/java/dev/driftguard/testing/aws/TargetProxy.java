package dev.driftguard.testing.aws;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.driftguard.testing.aws.TargetGroup.Target;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A target group's load balancer: an HTTP reverse proxy on 127.0.0.1 that sends each request to one
 * {@code healthy} target, round robin, at {@code 127.0.0.1:PORT}. Targets that are {@code initial},
 * {@code unhealthy} or {@code draining} get no new requests; a request already forwarded to a
 * target that starts draining completes normally.
 *
 * <p>Answers of its own, as an ALB's: 503 when no target is healthy, 502 when the target refuses or
 * breaks the connection, 504 when it does not answer within {@link #TARGET_TIMEOUT}.
 * <b>Deviation:</b> an ALB whose targets are <em>all</em> unhealthy fails open and sends to all of
 * them; this proxy answers 503 instead, so a test that counts failed requests sees every moment
 * without a healthy target rather than having it masked by luck.
 */
final class TargetProxy implements AutoCloseable {
  /** ALB's default idle timeout is 60 s; tests want failures sooner. */
  static final Duration TARGET_TIMEOUT = Duration.ofSeconds(30);

  static final int THREADS = 32;

  /** Hop-by-hop headers and the ones the JDK client sets itself. */
  private static final Set<String> NOT_FORWARDED =
      Set.of(
          "connection",
          "content-length",
          "expect",
          "host",
          "upgrade",
          "keep-alive",
          "transfer-encoding",
          "te",
          "trailer",
          "proxy-connection",
          "proxy-authorization",
          "proxy-authenticate");

  private static final AtomicInteger PROXIES = new AtomicInteger();

  private final TargetGroup group;
  private final HttpServer server;
  private final ExecutorService executor;
  private final HttpClient client;

  private TargetProxy(TargetGroup group) throws IOException {
    this.group = group;
    int n = PROXIES.incrementAndGet();
    AtomicInteger threads = new AtomicInteger();
    this.executor =
        Executors.newFixedThreadPool(
            THREADS,
            r -> {
              Thread t = new Thread(r, "local-elb-proxy-" + n + "-" + threads.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
    this.server =
        HttpServer.create(
            new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0), 128);
    server.setExecutor(executor);
    server.createContext("/", this::exchange);
    server.start();
  }

  static TargetProxy start(TargetGroup group) {
    try {
      return new TargetProxy(group);
    } catch (IOException e) {
      throw new IllegalStateException("cannot start the proxy of " + group.arn(), e);
    }
  }

  int port() {
    return server.getAddress().getPort();
  }

  private void exchange(HttpExchange exchange) throws IOException {
    try (exchange) {
      byte[] body;
      try (InputStream in = exchange.getRequestBody()) {
        body = in.readAllBytes();
      }
      Optional<Target> target = group.lease();
      if (target.isEmpty()) {
        reply(exchange, 503, "503 Service Temporarily Unavailable: no healthy target\n");
        return;
      }
      try {
        forward(exchange, target.get(), body);
      } finally {
        group.release(target.get());
      }
    }
  }

  private void forward(HttpExchange exchange, Target target, byte[] body) throws IOException {
    URI uri = exchange.getRequestURI();
    String pathAndQuery =
        uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + target.port() + pathAndQuery))
            .timeout(TARGET_TIMEOUT)
            .method(
                exchange.getRequestMethod(),
                body.length == 0
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(body));
    for (Map.Entry<String, List<String>> h : exchange.getRequestHeaders().entrySet()) {
      if (NOT_FORWARDED.contains(h.getKey().toLowerCase(Locale.ROOT))) {
        continue;
      }
      for (String v : h.getValue()) {
        try {
          request.header(h.getKey(), v);
        } catch (IllegalArgumentException restricted) {
          // A header the JDK client refuses to send; an ALB would pass it, but no test needs it.
        }
      }
    }
    request.header("X-Forwarded-For", exchange.getRemoteAddress().getAddress().getHostAddress());
    request.header("X-Forwarded-Proto", "http");
    request.header("X-Forwarded-Port", Integer.toString(port()));
    HttpResponse<byte[]> response;
    try {
      response = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (HttpTimeoutException e) {
      reply(exchange, 504, "504 Gateway Time-out\n");
      return;
    } catch (ConnectException e) {
      reply(exchange, 502, "502 Bad Gateway: connection refused by " + target + "\n");
      return;
    } catch (IOException e) {
      reply(exchange, 502, "502 Bad Gateway: " + e.getMessage() + "\n");
      return;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      reply(exchange, 502, "502 Bad Gateway: interrupted\n");
      return;
    }
    response
        .headers()
        .map()
        .forEach(
            (k, values) -> {
              if (!NOT_FORWARDED.contains(k.toLowerCase(Locale.ROOT)) && !k.startsWith(":")) {
                exchange.getResponseHeaders().put(k, values);
              }
            });
    byte[] out = response.body();
    boolean noBody =
        exchange.getRequestMethod().equals("HEAD")
            || response.statusCode() == 204
            || response.statusCode() == 304
            || out.length == 0;
    exchange.sendResponseHeaders(response.statusCode(), noBody ? -1 : out.length);
    if (!noBody) {
      try (OutputStream o = exchange.getResponseBody()) {
        o.write(out);
      }
    }
  }

  private static void reply(HttpExchange exchange, int status, String text) throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    exchange.getResponseHeaders().set("Server", "awselb/2.0");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream o = exchange.getResponseBody()) {
      o.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
