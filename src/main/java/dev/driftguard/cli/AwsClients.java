package dev.driftguard.cli;

import dev.driftguard.config.AwsSettings;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.function.Supplier;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.awscore.client.builder.AwsSyncClientBuilder;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.imds.Ec2MetadataClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ecr.EcrClient;
import software.amazon.awssdk.services.elasticloadbalancingv2.ElasticLoadBalancingV2Client;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.utils.SdkAutoCloseable;

/**
 * The one place AWS SDK clients are built: one client per service per process, created on first use
 * and shared by every adapter, all on one URL-connection HTTP client (no Netty, no Apache).
 *
 * <p>Retries use the SDK's <b>standard</b> retry mode: at most 3 attempts per call, jittered
 * exponential backoff with a longer base delay for throttling errors, and a client-wide retry quota
 * that stops retrying when most calls fail (an outage), so the agent does not multiply load on a
 * struggling SSM. The SDK's default (legacy) mode makes more attempts and has no such quota;
 * adaptive mode adds client-side rate limiting that fights the agent's own jittered poll backoff.
 * What the SDK cannot absorb reaches the adapters, which report it as "unavailable" and the loop
 * backs off (DESIGN 4, API budget).
 *
 * <p>The region may be given lazily ({@link Builder#region(Supplier)}) because on EC2 it comes from
 * IMDS, whose client this class also builds; the IMDS client needs no region.
 */
public final class AwsClients implements SdkAutoCloseable {
  /** Keys of {@link Builder#endpoints}: the services whose endpoint a test may override. */
  public static final Set<String> ENDPOINT_KEYS = AwsSettings.ENDPOINT_SERVICES;

  /** Bound on one SDK call including its retries; the agent's poll loop must never hang. */
  public static final Duration DEFAULT_API_CALL_TIMEOUT = Duration.ofSeconds(20);

  /** Bound on one HTTP attempt; AWS control-plane calls answer in well under a second. */
  public static final Duration DEFAULT_API_CALL_ATTEMPT_TIMEOUT = Duration.ofSeconds(5);

  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);

  private final Supplier<Region> region;
  private final Map<String, URI> endpoints;
  private final AwsCredentialsProvider credentials;
  private final boolean ownsCredentials;
  private final Duration apiCallTimeout;
  private final software.amazon.awssdk.metrics.MetricPublisher callMetrics;
  private final Duration apiCallAttemptTimeout;

  private SdkHttpClient httpClient;
  private SsmClient ssm;
  private EcrClient ecr;
  private Ec2Client ec2;
  private ElasticLoadBalancingV2Client elbv2;
  private DynamoDbClient dynamodb;
  private AutoScalingClient autoscaling;
  private final Map<Region, EcrClient> regionalEcr = new LinkedHashMap<>();
  private Ec2MetadataClient imds;
  private ScheduledExecutorService timeouts;
  private boolean closed;

  private AwsClients(Builder builder) {
    this.region = Objects.requireNonNull(builder.region, "region");
    this.endpoints = Map.copyOf(builder.endpoints);
    Set<String> unknown = new TreeSet<>(endpoints.keySet());
    unknown.removeAll(ENDPOINT_KEYS);
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException(
          "unknown AWS endpoint override(s) "
              + unknown
              + "; known: "
              + new TreeSet<>(ENDPOINT_KEYS));
    }
    this.ownsCredentials = builder.credentials == null;
    this.credentials =
        builder.credentials != null
            ? builder.credentials
            : DefaultCredentialsProvider.builder().build();
    this.apiCallTimeout = builder.apiCallTimeout;
    this.callMetrics = builder.callMetrics;
    this.apiCallAttemptTimeout = builder.apiCallAttemptTimeout;
    if (apiCallAttemptTimeout.compareTo(apiCallTimeout) > 0) {
      throw new IllegalArgumentException(
          "the API call attempt timeout ("
              + apiCallAttemptTimeout
              + ") exceeds the API call timeout ("
              + apiCallTimeout
              + ")");
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  public synchronized SsmClient ssm() {
    if (ssm == null) {
      ssm = configure(SsmClient.builder(), "ssm").build();
    }
    return ssm;
  }

  public synchronized EcrClient ecr() {
    if (ecr == null) {
      ecr = configure(EcrClient.builder(), "ecr").build();
    }
    return ecr;
  }

  /**
   * The ECR client of {@code region} (the agent's own region gives {@link #ecr()}). ECR tokens are
   * regional: pulling from {@code ACCOUNT.dkr.ecr.eu-west-1.amazonaws.com} needs a token from
   * eu-west-1's ECR, whatever the agent's region. So "one client per service per process" is one
   * per region here: each is built on first use and kept for the process, as a client's connection
   * pool and endpoint resolution are worth reusing across the token refreshes.
   */
  public synchronized EcrClient ecr(String region) {
    Region wanted = Region.of(region);
    if (wanted.equals(agentRegion())) {
      return ecr();
    }
    EcrClient client = regionalEcr.get(wanted);
    if (client == null) {
      client = configure(EcrClient.builder(), "ecr", wanted).build();
      regionalEcr.put(wanted, client);
    }
    return client;
  }

  public synchronized Ec2Client ec2() {
    if (ec2 == null) {
      ec2 = configure(Ec2Client.builder(), "ec2").build();
    }
    return ec2;
  }

  public synchronized ElasticLoadBalancingV2Client elbv2() {
    if (elbv2 == null) {
      elbv2 = configure(ElasticLoadBalancingV2Client.builder(), "elbv2").build();
    }
    return elbv2;
  }

  /** The turn lease's table ({@code agent.fleet.leaseTable}). */
  public synchronized DynamoDbClient dynamodb() {
    if (dynamodb == null) {
      dynamodb = configure(DynamoDbClient.builder(), "dynamodb").build();
    }
    return dynamodb;
  }

  /** Only for the optional self-report to the instance's Auto Scaling group. */
  public synchronized AutoScalingClient autoscaling() {
    if (autoscaling == null) {
      autoscaling = configure(AutoScalingClient.builder(), "autoscaling").build();
    }
    return autoscaling;
  }

  /** The IMDSv2 client. It keeps the SDK's own IMDS retry policy (short, IMDS-specific). */
  public synchronized Ec2MetadataClient imds() {
    if (imds == null) {
      Ec2MetadataClient.Builder builder = Ec2MetadataClient.builder().httpClient(httpClient());
      URI endpoint = endpoints.get("imds");
      if (endpoint != null) {
        builder.endpoint(endpoint);
      }
      imds = builder.build();
    }
    return imds;
  }

  private Region agentRegion() {
    return Objects.requireNonNull(region.get(), "the AWS region resolved to null");
  }

  private <B extends AwsClientBuilder<B, ?> & AwsSyncClientBuilder<B, ?>> B configure(
      B builder, String key) {
    ensureOpen();
    return configure(builder, key, agentRegion());
  }

  private <B extends AwsClientBuilder<B, ?> & AwsSyncClientBuilder<B, ?>> B configure(
      B builder, String key, Region resolved) {
    ensureOpen();
    builder
        .region(resolved)
        .credentialsProvider(credentials)
        .httpClient(httpClient())
        .overrideConfiguration(
            ClientOverrideConfiguration.builder()
                .apiCallTimeout(apiCallTimeout)
                .apiCallAttemptTimeout(apiCallAttemptTimeout)
                .retryStrategy(RetryMode.STANDARD)
                .applyMutation(
                    c -> {
                      if (callMetrics != null) {
                        c.addMetricPublisher(callMetrics);
                      }
                    })
                .scheduledExecutorService(timeouts())
                .build());
    URI endpoint = endpoints.get(key);
    if (endpoint != null) {
      builder.endpointOverride(endpoint);
    }
    return builder;
  }

  /**
   * One thread that enforces the call timeouts of every client. Left to itself the SDK gives each
   * client a pool of five (20 threads for four services); a timeout fires rarely and only
   * interrupts the calling thread, so one is plenty. The SDK does not close an executor it was
   * handed; {@link #close()} does.
   */
  private ScheduledExecutorService timeouts() {
    if (timeouts == null) {
      ScheduledThreadPoolExecutor executor =
          new ScheduledThreadPoolExecutor(
              1,
              r -> {
                Thread t = new Thread(r, "driftguard-aws-timeouts");
                t.setDaemon(true);
                return t;
              });
      // A finished call cancels its timeout: drop the task at once rather than at its deadline.
      executor.setRemoveOnCancelPolicy(true);
      timeouts = executor;
    }
    return timeouts;
  }

  private SdkHttpClient httpClient() {
    ensureOpen();
    if (httpClient == null) {
      // Shared by every client; the SDK does not close a client it was handed, close() does.
      httpClient =
          UrlConnectionHttpClient.builder()
              .connectionTimeout(CONNECT_TIMEOUT)
              .socketTimeout(apiCallAttemptTimeout)
              .build();
    }
    return httpClient;
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("AwsClients is closed");
    }
  }

  /** Closes every client built so far, then the shared HTTP client. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    List<SdkAutoCloseable> all = new ArrayList<>(regionalEcr.values());
    for (SdkAutoCloseable c :
        new SdkAutoCloseable[] {ssm, ecr, ec2, elbv2, dynamodb, autoscaling, imds, httpClient}) {
      if (c != null) {
        all.add(c);
      }
    }
    if (ownsCredentials && credentials instanceof SdkAutoCloseable c) {
      all.add(c);
    }
    for (SdkAutoCloseable c : all) {
      c.close();
    }
    if (timeouts != null) {
      timeouts.shutdownNow();
    }
  }

  /** Settings for {@link AwsClients}; only the region is required. */
  public static final class Builder {
    private Supplier<Region> region;
    private Map<String, URI> endpoints = Map.of();
    private AwsCredentialsProvider credentials;
    private software.amazon.awssdk.metrics.MetricPublisher callMetrics;
    private Duration apiCallTimeout = DEFAULT_API_CALL_TIMEOUT;
    private Duration apiCallAttemptTimeout = DEFAULT_API_CALL_ATTEMPT_TIMEOUT;

    private Builder() {}

    public Builder region(Region region) {
      Objects.requireNonNull(region, "region");
      this.region = () -> region;
      return this;
    }

    /** A region resolved on the first client built (e.g. from IMDS through {@link #imds()}). */
    public Builder region(Supplier<Region> region) {
      this.region = Objects.requireNonNull(region, "region");
      return this;
    }

    /** Endpoint overrides keyed by {@link #ENDPOINT_KEYS}; for tests and local mode. */
    public Builder endpoints(Map<String, URI> endpoints) {
      this.endpoints = Objects.requireNonNull(endpoints, "endpoints");
      return this;
    }

    /** Receives each call's SDK metrics (attempts, error types); unset: none are collected. */
    public Builder callMetrics(software.amazon.awssdk.metrics.MetricPublisher callMetrics) {
      this.callMetrics = callMetrics;
      return this;
    }

    /** Credentials; unset means the SDK's default provider chain (instance profile on EC2). */
    public Builder credentialsProvider(AwsCredentialsProvider credentials) {
      this.credentials = credentials;
      return this;
    }

    public Builder apiCallTimeout(Duration timeout) {
      this.apiCallTimeout = positive(timeout, "apiCallTimeout");
      return this;
    }

    public Builder apiCallAttemptTimeout(Duration timeout) {
      this.apiCallAttemptTimeout = positive(timeout, "apiCallAttemptTimeout");
      return this;
    }

    public AwsClients build() {
      return new AwsClients(this);
    }

    private static Duration positive(Duration d, String name) {
      if (d == null || d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive, got " + d);
      }
      return d;
    }
  }
}
