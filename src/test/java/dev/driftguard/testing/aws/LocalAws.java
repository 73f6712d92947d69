package dev.driftguard.testing.aws;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.driftguard.cli.AwsClients;
import dev.driftguard.testing.TestEnv;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;

/**
 * A local AWS endpoint for tests: the JDK's HTTP server on 127.0.0.1 speaking the wire protocols
 * the AWS SDK sends, so the agent's real SDK clients are exercised through endpoint overrides. It
 * is faithful to AWS's documented behaviour and error shapes where the agent depends on them; each
 * service is one {@link AwsService} class ({@link SsmService}, {@link EcrService}, {@link
 * Ec2Service}, {@link Elbv2Service}, {@link DynamoDbService}, {@link AutoScalingService}); IMDS is
 * one small server per instance ({@link ImdsServer}).
 *
 * <p>Requests are routed to the service that {@linkplain AwsService#accepts accepts} them (JSON 1.1
 * services by {@code X-Amz-Target}). Signatures are not verified, but, as AWS does, a request
 * without an {@code Authorization} header is refused with {@code
 * MissingAuthenticationTokenException}.
 *
 * <p>Test knobs: the services' own ({@link #ssm()}, {@link #ecr()}, {@link #ec2()}, {@link
 * #elbv2()}, {@link #imds(String)}), per-operation call counts ({@link #calls(String, String)};
 * every HTTP attempt counts, so SDK retries show) and injected faults ({@link #inject} a {@link
 * FaultRule}: throttling with each service's real error, 5xx, latency; by count, seeded rate or
 * time window; shorthands {@link #throttleNext}, {@link #failNext}). A process-external test
 * reaches the same knobs over HTTP under {@code /_localaws/} (see {@link #main}).
 *
 * <pre>{@code
 * try (LocalAws aws = LocalAws.builder().registryPassword("s3cret").start();
 *     AwsClients clients = aws.newClients()) {
 *   aws.ssm().put("/driftguard/web/image", "...@sha256:...");
 *   new SsmDesiredStateSource(clients.ssm(), AwsCallListener.NONE).read(...);
 * }
 * }</pre>
 *
 * <p>An agent configuration reaches it with {@code agent.aws.endpoints} set to {@link #endpoints()}
 * (all the same URL) and any static credentials.
 */
public final class LocalAws implements AutoCloseable {
  public static final String DEFAULT_REGION = "us-east-1";
  public static final String DEFAULT_ACCOUNT_ID = "123456789012";

  /** Used when no registry password is given; the real test registry has its own. */
  public static final String DEFAULT_REGISTRY_PASSWORD = "local-aws-registry-password";

  private static final String ADMIN_PREFIX = "/_localaws/";
  private static final int MAX_RECORDED_BODIES = 1000;

  private final HttpServer server;
  private final ExecutorService executor;
  private final SsmService ssm;
  private final EcrService ecr;
  private final Ec2Service ec2;
  private final Elbv2Service elbv2;
  private final DynamoDbService dynamodb;
  private final AutoScalingService autoscaling;
  private final List<AwsService> services;
  private final Map<String, ImdsServer> imds = new HashMap<>();
  private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
  private final Faults faults;
  private final Deque<Recorded> recorded = new ArrayDeque<>();

  private record Recorded(String call, String body) {}

  private LocalAws(Builder builder) throws IOException {
    this.ssm = new SsmService(builder.region, builder.accountId, builder.clock);
    this.ecr =
        new EcrService(builder.region, builder.accountId, builder.registryPassword, builder.clock);
    this.ec2 = new Ec2Service(builder.region, builder.accountId, builder.clock);
    this.elbv2 = new Elbv2Service(builder.region, builder.accountId, ec2);
    this.dynamodb = new DynamoDbService();
    // Provisioned as docs/install.md tells operators to: agents in fleet mode take turns on it.
    dynamodb.createLeaseTable(dev.driftguard.config.FleetSettings.DEFAULT_LEASE_TABLE);
    this.autoscaling = new AutoScalingService(ec2, builder.clock);
    this.services = List.of(ssm, ecr, ec2, elbv2, dynamodb, autoscaling);
    this.faults = new Faults(builder.clock);
    this.server =
        HttpServer.create(
            new InetSocketAddress(
                InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), builder.port),
            64);
    AtomicInteger threads = new AtomicInteger();
    this.executor =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "local-aws-" + threads.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    server.createContext("/", this::exchange);
    server.start();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Static test credentials; any key is accepted, as signatures are not verified. */
  public static AwsCredentialsProvider credentials() {
    return StaticCredentialsProvider.create(
        AwsBasicCredentials.create("AKIALOCALAWSTEST0000", "local-aws-secret"));
  }

  /**
   * SDK clients configured as the agent configures them ({@link AwsClients}), pointed here with
   * static test credentials. The caller closes them.
   */
  public AwsClients newClients() {
    return AwsClients.builder()
        .region(Region.of(ssm.region()))
        .endpoints(endpoints())
        .credentialsProvider(credentials())
        .build();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** {@code http://127.0.0.1:<port>}: the endpoint of every service. */
  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + port());
  }

  /**
   * Endpoint overrides for every service this endpoint serves, keyed as in {@code
   * agent.aws.endpoints}.
   */
  public Map<String, URI> endpoints() {
    Map<String, URI> endpoints = new LinkedHashMap<>();
    for (AwsService s : services) {
      endpoints.put(s.key(), endpoint());
    }
    return Collections.unmodifiableMap(endpoints);
  }

  /**
   * Like {@link #newClients()}, with the IMDS client pointed at {@code instanceId}'s metadata
   * server ({@link #imds(String)}), as the agent of that instance would be configured.
   */
  public AwsClients newClients(String instanceId) {
    Map<String, URI> withImds = new LinkedHashMap<>(endpoints());
    withImds.put("imds", imds(instanceId).endpoint());
    return AwsClients.builder()
        .region(Region.of(ssm.region()))
        .endpoints(withImds)
        .credentialsProvider(credentials())
        .build();
  }

  public SsmService ssm() {
    return ssm;
  }

  public EcrService ecr() {
    return ecr;
  }

  public Ec2Service ec2() {
    return ec2;
  }

  public Elbv2Service elbv2() {
    return elbv2;
  }

  public DynamoDbService dynamodb() {
    return dynamodb;
  }

  public AutoScalingService autoscaling() {
    return autoscaling;
  }

  /** Adds a running EC2 instance ({@link Ec2Service#addInstance(String, Map)}). */
  public void addInstance(String instanceId, Map<String, String> tags) {
    ec2.addInstance(instanceId, tags);
  }

  /**
   * Creates a target group with real health checks and returns its ARN ({@link
   * Elbv2Service#createTargetGroup(String, String, int, int, Duration, Duration)}).
   */
  public String createTargetGroup(
      String name,
      String healthCheckPath,
      int healthyThreshold,
      int unhealthyThreshold,
      Duration interval,
      Duration deregistrationDelay) {
    return elbv2.createTargetGroup(
        name, healthCheckPath, healthyThreshold, unhealthyThreshold, interval, deregistrationDelay);
  }

  public TargetGroup targetGroup(String targetGroupArn) {
    return elbv2.targetGroup(targetGroupArn);
  }

  /** The port on 127.0.0.1 of the group's reverse proxy (its "load balancer"). */
  public int proxyPort(String targetGroupArn) {
    return elbv2.targetGroup(targetGroupArn).proxyPort();
  }

  /** Every target state change of the group so far, oldest first. */
  public List<TargetGroup.StateChange> timeline(String targetGroupArn) {
    return elbv2.targetGroup(targetGroupArn).timeline();
  }

  /**
   * The metadata server of {@code instanceId} (an instance added before), started on first use on
   * its own port of 127.0.0.1.
   */
  public synchronized ImdsServer imds(String instanceId) {
    if (!ec2.hasInstance(instanceId)) {
      throw new IllegalArgumentException("no instance " + instanceId + "; add it first");
    }
    ImdsServer server = imds.get(instanceId);
    if (server == null) {
      try {
        server = new ImdsServer(instanceId, ec2, faults);
      } catch (IOException e) {
        throw new IllegalStateException("cannot start IMDS for " + instanceId, e);
      }
      imds.put(instanceId, server);
    }
    return server;
  }

  // ---- knobs ---------------------------------------------------------------------------------

  /** HTTP requests that reached {@code service}'s {@code operation} (SDK retries each count). */
  public int calls(String service, String operation) {
    AtomicInteger n = calls.get(service + ":" + operation);
    return n == null ? 0 : n.get();
  }

  /** All call counts, keyed {@code service:Operation}. */
  public Map<String, Integer> calls() {
    Map<String, Integer> snapshot = new TreeMap<>();
    calls.forEach((k, v) -> snapshot.put(k, v.get()));
    return snapshot;
  }

  /**
   * The request bodies {@code service}'s {@code operation} received, oldest first (the last 1000).
   */
  public synchronized List<String> requestBodies(String service, String operation) {
    String call = service + ":" + operation;
    return recorded.stream().filter(r -> r.call().equals(call)).map(Recorded::body).toList();
  }

  public synchronized void resetCalls() {
    calls.clear();
    recorded.clear();
  }

  /**
   * Installs an injected fault ({@link FaultRule}): throttling, 5xx or latency, for the next calls,
   * a seeded fraction of them or a time window. Latency rules that select a call add up; the first
   * error rule (in the order installed) that selects it fails it. IMDS servers of this endpoint
   * obey rules of service {@code "imds"} (operation {@code token}, or the path under {@code
   * /latest/}, e.g. {@code meta-data/instance-id}).
   *
   * @return the installed rule, which counts its {@linkplain FaultRule#hits() hits}
   */
  public FaultRule inject(FaultRule rule) {
    return faults.get(faults.add(rule));
  }

  Faults faultRegistry() {
    return faults;
  }

  /** Removes every injected fault. */
  public void clearFaults() {
    faults.clear();
  }

  /** The injected faults, by id, oldest first (spent ones included, with their hits). */
  public Map<Integer, FaultRule> faults() {
    return faults.all();
  }

  /**
   * The next {@code count} calls of {@code operation} ({@code "*"} for any) on {@code service} fail
   * with {@code fault} instead of being served.
   */
  public void failNext(String service, String operation, int count, AwsFault fault) {
    failAfter(service, operation, 0, count, fault);
  }

  /**
   * The next {@code served} calls are served as usual, then {@code count} fail with {@code fault}.
   */
  public void failAfter(String service, String operation, int served, int count, AwsFault fault) {
    inject(FaultRule.error(service, operation, fault).after(served).times(count));
  }

  /**
   * The next {@code count} calls answer the service's own throttling error ({@link
   * FaultRule#throttling}: SSM and ECR {@code ThrottlingException}, ELBv2 {@code Throttling}, EC2
   * {@code RequestLimitExceeded}).
   */
  public void throttleNext(String service, String operation, int count) {
    inject(FaultRule.throttle(service, operation).times(count));
  }

  private synchronized void record(String call, byte[] body) {
    recorded.add(new Recorded(call, new String(body, StandardCharsets.UTF_8)));
    while (recorded.size() > MAX_RECORDED_BODIES) {
      recorded.poll();
    }
  }

  // ---- HTTP ----------------------------------------------------------------------------------

  private void exchange(HttpExchange exchange) throws IOException {
    try (exchange) {
      byte[] body;
      try (InputStream in = exchange.getRequestBody()) {
        body = in.readAllBytes();
      }
      URI uri = exchange.getRequestURI();
      AwsRequest request =
          new AwsRequest(
              exchange.getRequestMethod(),
              uri.getPath(),
              uri.getRawQuery(),
              exchange.getRequestHeaders(),
              body);
      AwsReply reply;
      try {
        reply = route(request);
      } catch (RuntimeException e) {
        // A bug here must show as a 500 the SDK reports, not as a hung connection.
        reply = AwsReply.text(500, "text/plain", "local-aws internal error: " + e);
      }
      exchange.getResponseHeaders().set("Content-Type", reply.contentType());
      exchange.getResponseHeaders().set("x-amzn-RequestId", UUID.randomUUID().toString());
      exchange.sendResponseHeaders(
          reply.status(), reply.body().length == 0 ? -1 : reply.body().length);
      if (reply.body().length > 0) {
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(reply.body());
        }
      }
    }
  }

  private AwsReply route(AwsRequest request) {
    if (request.path().startsWith(ADMIN_PREFIX)) {
      return admin(request);
    }
    AwsService service = services.stream().filter(s -> s.accepts(request)).findFirst().orElse(null);
    if (service == null) {
      if (request.header("X-Amz-Target").isPresent()) {
        return ssm.error(AwsFault.badRequest("UnknownOperationException", null));
      }
      return AwsReply.text(
          404,
          "text/plain",
          "local-aws serves no service at " + request.method() + " " + request.path());
    }
    try {
      if (service.requiresSignature() && request.header("Authorization").isEmpty()) {
        throw AwsFault.badRequest(
            "MissingAuthenticationTokenException", "Missing Authentication Token");
      }
      String operation = service.operation(request);
      String call = service.key() + ":" + operation;
      calls.computeIfAbsent(call, k -> new AtomicInteger()).incrementAndGet();
      record(call, request.body());
      faults.apply(service.key(), operation);
      return service.handle(operation, request);
    } catch (AwsFault fault) {
      return service.error(fault);
    }
  }

  /** Knobs for tests in other processes; no AWS service has paths under {@code /_localaws/}. */
  private AwsReply admin(AwsRequest request) {
    Map<String, String> q = queryParameters(request.query());
    String action = request.path().substring(ADMIN_PREFIX.length());
    try {
      Optional<AwsReply> fixture = ControlApi.handle(this, action, request.method(), q);
      if (fixture.isPresent()) {
        return fixture.get();
      }
      switch (action) {
        case "health":
          return AwsReply.text(200, "text/plain", "ok\n");
        case "calls":
          return AwsReply.text(
              200, "application/json", new ObjectMapper().writeValueAsString(calls()));
        case "reset-calls":
          resetCalls();
          return AwsReply.text(200, "text/plain", "ok\n");
        default:
          return AwsReply.text(404, "text/plain", "unknown local-aws action " + action + "\n");
      }
    } catch (IllegalArgumentException | IllegalStateException | IOException e) {
      return AwsReply.text(400, "text/plain", e.getMessage() + "\n");
    }
  }

  static String required(Map<String, String> q, String key) {
    String value = q.get(key);
    if (value == null || value.isEmpty()) {
      throw new IllegalArgumentException("missing query parameter " + key);
    }
    return value;
  }

  private static Map<String, String> queryParameters(String rawQuery) {
    Map<String, String> q = new HashMap<>();
    if (rawQuery == null || rawQuery.isEmpty()) {
      return q;
    }
    for (String pair : rawQuery.split("&")) {
      int eq = pair.indexOf('=');
      String k = eq < 0 ? pair : pair.substring(0, eq);
      String v = eq < 0 ? "" : pair.substring(eq + 1);
      q.put(
          URLDecoder.decode(k, StandardCharsets.UTF_8),
          URLDecoder.decode(v, StandardCharsets.UTF_8));
    }
    return q;
  }

  /** Stops the server, the target groups' checks and proxies, the IMDS servers, then threads. */
  @Override
  public void close() {
    server.stop(0);
    elbv2.close();
    List<ImdsServer> servers;
    synchronized (this) {
      servers = new ArrayList<>(imds.values());
    }
    servers.forEach(ImdsServer::close);
    executor.shutdownNow();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Settings; every one has a default. */
  public static final class Builder {
    private String region = DEFAULT_REGION;
    private String accountId = DEFAULT_ACCOUNT_ID;
    private String registryPassword = DEFAULT_REGISTRY_PASSWORD;
    private Clock clock = Clock.systemUTC();
    private int port;

    private Builder() {}

    public Builder region(String region) {
      this.region = Objects.requireNonNull(region);
      return this;
    }

    public Builder accountId(String accountId) {
      if (!accountId.matches("[0-9]{12}")) {
        throw new IllegalArgumentException("an AWS account id is 12 digits: " + accountId);
      }
      this.accountId = accountId;
      return this;
    }

    /** The local registry's password, handed out inside ECR tokens. */
    public Builder registryPassword(String registryPassword) {
      this.registryPassword = Objects.requireNonNull(registryPassword);
      return this;
    }

    /** The password from the running test environment ({@link TestEnv}), if it is up. */
    public Builder registryPasswordFromTestEnv() {
      TestEnv.registryPassword().ifPresent(p -> this.registryPassword = p);
      return this;
    }

    /** Time for versions' modification dates and tokens' expiry. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock);
      return this;
    }

    /** The port on 127.0.0.1; 0 (the default) picks a free one. */
    public Builder port(int port) {
      this.port = port;
      return this;
    }

    public LocalAws start() {
      try {
        return new LocalAws(this);
      } catch (IOException e) {
        throw new IllegalStateException("cannot start local-aws on 127.0.0.1:" + port, e);
      }
    }
  }

  /**
   * Runs the endpoint as its own process until SIGTERM, for end-to-end tests whose agents are
   * processes. Options: {@code --port N} (default 0: a free port), {@code --port-file FILE}
   * (written atomically once listening), {@code --region R}, {@code --account-id ID}, {@code
   * --registry-password-file FILE}, {@code --env-file FILE} (default {@link TestEnv#DEFAULT_FILE};
   * its {@code registry.password} is used when no password file is given). Prints {@code local-aws
   * listening on http://127.0.0.1:PORT}. Other processes turn the knobs over HTTP: {@code GET
   * /_localaws/calls}, {@code POST /_localaws/reset-calls}, {@code POST
   * /_localaws/faults?service=ssm&operation=GetParameters&code=ThrottlingException&count=3}
   * (optional {@code served=N} first, {@code status}, {@code message}), {@code GET
   * /_localaws/health}; parameters are written with the SDK or CLI ({@code PutParameter}). The test
   * environment's images ({@code --env-file}) are registered in ECR at start. Fixtures for an
   * end-to-end driver (instances, target groups and their timelines and proxy ports, per-instance
   * IMDS servers and notices, SSM parameters, ECR images) are routes of {@link ControlApi}, listed
   * in {@code package-info.java}.
   */
  public static void main(String[] args) throws Exception {
    Builder builder = builder();
    Path portFile = null;
    Path passwordFile = null;
    Path envFile = TestEnv.DEFAULT_FILE;
    for (int i = 0; i < args.length; i++) {
      String option = args[i];
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("option " + option + " needs a value");
      }
      String value = args[++i];
      switch (option) {
        case "--port" -> builder.port(Integer.parseInt(value));
        case "--port-file" -> portFile = Path.of(value);
        case "--region" -> builder.region(value);
        case "--account-id" -> builder.accountId(value);
        case "--registry-password-file" -> passwordFile = Path.of(value);
        case "--env-file" -> envFile = Path.of(value);
        default -> throw new IllegalArgumentException("unknown option " + option);
      }
    }
    if (passwordFile != null) {
      builder.registryPassword(Files.readString(passwordFile, StandardCharsets.UTF_8).strip());
    } else {
      TestEnv.registryPassword(envFile).ifPresent(builder::registryPassword);
    }
    LocalAws aws = builder.start();
    List<String> images = aws.ecr().registerTestEnvImages(envFile);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  aws.close();
                  stopped.countDown();
                },
                "local-aws-shutdown"));
    if (portFile != null) {
      Path tmp = portFile.resolveSibling(portFile.getFileName() + ".tmp");
      Files.writeString(tmp, aws.port() + "\n", StandardCharsets.UTF_8);
      Files.move(
          tmp, portFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
    System.out.println(
        "local-aws listening on "
            + aws.endpoint()
            + " (services "
            + new ArrayList<>(aws.endpoints().keySet())
            + "; ECR images "
            + images
            + ")");
    System.out.flush();
    stopped.await();
  }
}
