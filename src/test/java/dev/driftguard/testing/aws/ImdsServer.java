package dev.driftguard.testing.aws;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The instance metadata service (IMDSv2) of one local instance, on its own port of 127.0.0.1: every
 * agent process of a test is "its own host" while all share the machine, so each instance gets its
 * own server ({@link LocalAws#imds(String)}). What the SDK's {@code Ec2MetadataClient} and the
 * agent read:
 *
 * <ul>
 *   <li>{@code PUT /latest/api/token} with {@code X-aws-ec2-metadata-token-ttl-seconds} (1..21600,
 *       400 otherwise) answers a token and echoes the TTL in the same header, which the SDK needs;
 *       a {@code X-Forwarded-For} header is refused (403) as on EC2;
 *   <li>every {@code GET} needs a live {@code X-aws-ec2-metadata-token} (401 without or expired);
 *   <li>{@code meta-data/instance-id}, {@code placement/region}, {@code
 *       placement/availability-zone}, {@code local-ipv4}, {@code tags/instance} (the keys, one a
 *       line) and {@code tags/instance/KEY}, read live from {@link Ec2Service}; 404 for tags while
 *       instance metadata tags are off ({@link #instanceMetadataTags});
 *   <li>{@code meta-data/spot/instance-action}: 404 until {@link #spotInterruption} sets a notice;
 *   <li>{@code meta-data/autoscaling/target-lifecycle-state}: {@code InService} until {@link
 *       #targetLifecycleState} changes it;
 *   <li>{@code dynamic/instance-identity/document}: JSON with instanceId, region, availabilityZone,
 *       accountId and the rest of EC2's fields.
 * </ul>
 *
 * <p>Injected faults of service {@code imds} ({@link LocalAws#inject}) apply before all of this,
 * with operation {@code token} or the path under {@code /latest/}: throttling answers 429, as IMDS
 * does when its packet rate is exceeded.
 */
public final class ImdsServer implements AutoCloseable {
  static final int MAX_TTL_SECONDS = 21600;
  private static final String TTL_HEADER = "X-aws-ec2-metadata-token-ttl-seconds";
  private static final String TOKEN_HEADER = "X-aws-ec2-metadata-token";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final SecureRandom RANDOM = new SecureRandom();

  private final String instanceId;
  private final Ec2Service ec2;
  private final HttpServer server;
  private final ExecutorService executor;
  private final Map<String, Instant> tokens = new ConcurrentHashMap<>();
  private final Faults faults;
  private volatile boolean metadataTags = true;
  private volatile String spotAction;
  private volatile String lifecycleState = "InService";

  ImdsServer(String instanceId, Ec2Service ec2, Faults faults) throws IOException {
    this.instanceId = instanceId;
    this.ec2 = ec2;
    this.faults = faults;
    this.executor =
        Executors.newFixedThreadPool(
            4,
            r -> {
              Thread t = new Thread(r, "local-imds-" + instanceId);
              t.setDaemon(true);
              return t;
            });
    this.server =
        HttpServer.create(
            new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0), 32);
    server.setExecutor(executor);
    server.createContext("/", this::exchange);
    server.start();
  }

  public String instanceId() {
    return instanceId;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** {@code http://127.0.0.1:PORT}, for {@code Ec2MetadataClient.builder().endpoint(...)}. */
  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + port());
  }

  /**
   * Whether instance tags are in the metadata (EC2's {@code InstanceMetadataTags}); on by default.
   */
  public void instanceMetadataTags(boolean enabled) {
    this.metadataTags = enabled;
  }

  /**
   * Announces a spot interruption: {@code instance-action} answers {@code {"action": action,
   * "time": time}} ({@code terminate}, {@code stop} or {@code hibernate}); null withdraws it.
   */
  public void spotInterruption(String action, Instant time) {
    if (action == null) {
      spotAction = null;
      return;
    }
    ObjectNode notice =
        JSON.createObjectNode()
            .put("action", action)
            .put(
                "time",
                DateTimeFormatter.ISO_INSTANT.format(
                    Objects.requireNonNull(time, "time").truncatedTo(ChronoUnit.SECONDS)));
    try {
      spotAction = JSON.writeValueAsString(notice);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The Auto Scaling target lifecycle state ({@code InService}, {@code Terminated}, ...). */
  public void targetLifecycleState(String state) {
    this.lifecycleState = Objects.requireNonNull(state, "state");
  }

  private void exchange(HttpExchange exchange) throws IOException {
    try (exchange) {
      try (InputStream in = exchange.getRequestBody()) {
        in.readAllBytes();
      }
      Reply reply = route(exchange);
      byte[] body = reply.body().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", reply.contentType());
      exchange.getResponseHeaders().set("Server", "EC2ws");
      if (reply.ttl() != null) {
        exchange.getResponseHeaders().set(TTL_HEADER, reply.ttl());
      }
      exchange.sendResponseHeaders(reply.status(), body.length == 0 ? -1 : body.length);
      if (body.length > 0) {
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      }
    }
  }

  private record Reply(int status, String contentType, String body, String ttl) {
    static Reply text(int status, String body) {
      return new Reply(status, "text/plain", body, null);
    }
  }

  private static final Reply NOT_FOUND = Reply.text(404, "");

  private Reply route(HttpExchange exchange) {
    String method = exchange.getRequestMethod();
    String path = exchange.getRequestURI().getPath();
    try {
      faults.apply("imds", operation(path));
    } catch (AwsFault fault) {
      // IMDS answers its errors as bare statuses: 429 when throttled, 5xx when failing.
      return Reply.text(fault.status(), "");
    }
    if (path.equals("/latest/api/token")) {
      if (!method.equals("PUT")) {
        return Reply.text(405, "");
      }
      return token(exchange);
    }
    if (!method.equals("GET") && !method.equals("HEAD")) {
      return Reply.text(405, "");
    }
    String token = exchange.getRequestHeaders().getFirst(TOKEN_HEADER);
    Instant expiry = token == null ? null : tokens.get(token);
    if (expiry == null || !Instant.now().isBefore(expiry)) {
      return Reply.text(401, "");
    }
    if (!ec2.hasInstance(instanceId)) {
      return NOT_FOUND;
    }
    return switch (path) {
      case "/latest/meta-data/instance-id" -> Reply.text(200, instanceId);
      case "/latest/meta-data/placement/region" -> Reply.text(200, ec2.region());
      case "/latest/meta-data/placement/availability-zone" ->
          Reply.text(200, ec2.availabilityZone(instanceId));
      case "/latest/meta-data/local-ipv4" -> Reply.text(200, "127.0.0.1");
      case "/latest/meta-data/spot/instance-action" -> {
        String action = spotAction;
        yield action == null ? NOT_FOUND : new Reply(200, "text/plain", action, null);
      }
      case "/latest/meta-data/autoscaling/target-lifecycle-state" ->
          Reply.text(200, lifecycleState);
      case "/latest/dynamic/instance-identity/document" ->
          new Reply(200, "text/plain", identityDocument(), null);
      case "/latest/meta-data/tags/instance", "/latest/meta-data/tags/instance/" -> {
        if (!metadataTags) {
          yield NOT_FOUND;
        }
        yield Reply.text(200, String.join("\n", ec2.tags(instanceId).keySet()));
      }
      default -> {
        String prefix = "/latest/meta-data/tags/instance/";
        if (path.startsWith(prefix) && metadataTags) {
          String value = ec2.tags(instanceId).get(path.substring(prefix.length()));
          yield value == null ? NOT_FOUND : Reply.text(200, value);
        }
        yield NOT_FOUND;
      }
    };
  }

  /** The operation name fault rules use: {@code token}, or the path under {@code /latest/}. */
  static String operation(String path) {
    if (path.equals("/latest/api/token")) {
      return "token";
    }
    return path.startsWith("/latest/") ? path.substring("/latest/".length()) : path;
  }

  private Reply token(HttpExchange exchange) {
    if (exchange.getRequestHeaders().containsKey("X-Forwarded-For")) {
      // IMDSv2 refuses tokens to requests that went through a proxy.
      return Reply.text(403, "");
    }
    String ttlText = exchange.getRequestHeaders().getFirst(TTL_HEADER);
    int ttl;
    try {
      ttl = Integer.parseInt(ttlText == null ? "" : ttlText.strip());
    } catch (NumberFormatException e) {
      return Reply.text(400, "");
    }
    if (ttl < 1 || ttl > MAX_TTL_SECONDS) {
      return Reply.text(400, "");
    }
    byte[] bytes = new byte[40];
    RANDOM.nextBytes(bytes);
    String token = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    Instant now = Instant.now();
    tokens.values().removeIf(expiry -> !now.isBefore(expiry));
    tokens.put(token, now.plusSeconds(ttl));
    return new Reply(200, "text/plain", token, Integer.toString(ttl));
  }

  private String identityDocument() {
    ObjectNode doc =
        JSON.createObjectNode()
            .put("accountId", ec2.accountId())
            .put("architecture", "x86_64")
            .put("availabilityZone", ec2.availabilityZone(instanceId))
            .putNull("billingProducts")
            .putNull("devpayProductCodes")
            .putNull("marketplaceProductCodes")
            .put("imageId", "ami-0123456789abcdef0")
            .put("instanceId", instanceId)
            .put("instanceType", "t3.micro")
            .putNull("kernelId")
            .put("pendingTime", "2024-01-01T00:00:00Z")
            .put("privateIp", "127.0.0.1")
            .putNull("ramdiskId")
            .put("region", ec2.region())
            .put("version", "2017-09-30");
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(doc);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
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
