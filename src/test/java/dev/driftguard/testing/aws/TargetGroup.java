package dev.driftguard.testing.aws;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One local ELBv2 target group whose target states come from <b>real HTTP health checks</b>, as an
 * Application Load Balancer's do:
 *
 * <ul>
 *   <li>a registered target is {@code initial} ({@code Elb.RegistrationInProgress}, then {@code
 *       Elb.InitialHealthChecking} once checks run) until {@code healthyThreshold} consecutive
 *       checks pass ({@code healthy}) or {@code unhealthyThreshold} fail ({@code unhealthy});
 *   <li>every {@code interval} each target gets {@code GET http://127.0.0.1:PORT/path} on a new
 *       connection; a 2xx status line within {@code timeout} passes; otherwise the reason is {@code
 *       Target.ResponseCodeMismatch} (with the codes), {@code Target.Timeout} or {@code
 *       Target.FailedHealthChecks} (connection refused, reset, malformed answer);
 *   <li>a deregistered target is {@code draining} ({@code Target.DeregistrationInProgress}, no
 *       longer checked) for the deregistration delay, then gone; asked about explicitly it is then
 *       {@code unused} ({@code Target.NotRegistered});
 *   <li>registering a registered target changes nothing; registering a draining one starts it over
 *       as {@code initial}; deregistering an unregistered or draining one changes nothing.
 * </ul>
 *
 * Every state change is kept in a {@linkplain #timeline() timeline} with its time, so a test can
 * check afterwards how many hosts were out of service at once ({@link #maxHostsOutOfService}).
 * Targets are instance ids with ports; every instance lives at 127.0.0.1.
 */
public final class TargetGroup implements AutoCloseable {
  public static final String INITIAL = "initial";
  public static final String HEALTHY = "healthy";
  public static final String UNHEALTHY = "unhealthy";
  public static final String DRAINING = "draining";
  public static final String UNUSED = "unused";

  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

  /** An instance id and the port its traffic goes to. */
  public record Target(String id, int port) {
    public Target {
      Objects.requireNonNull(id, "id");
    }

    @Override
    public String toString() {
      return id + ":" + port;
    }
  }

  /** A target's health as {@code DescribeTargetHealth} reports it; reason null when healthy. */
  public record Health(Target target, String state, String reason, String description) {}

  /** One state change; {@code from} is {@code unused} for a new registration. */
  public record StateChange(Instant at, Target target, String from, String to, String reason) {}

  private final String arn;
  private final String loadBalancerArn;
  private final ScheduledExecutorService scheduler;
  private final Clock clock;
  private final Map<Target, Registration> registrations = new LinkedHashMap<>();
  private final List<StateChange> timeline = new ArrayList<>();
  private final AtomicInteger roundRobin = new AtomicInteger();
  private final Map<Target, AtomicInteger> routed = new HashMap<>();
  private final Map<String, String> attributes = new LinkedHashMap<>();
  private TargetGroupConfig config;
  private TargetProxy proxy;
  private boolean closed;

  /** What the group knows about one registered (or draining) target. */
  private static final class Registration {
    final Target target;
    String state = INITIAL;
    String reason = "Elb.RegistrationInProgress";
    String description = "Target registration is in progress";
    int passes;
    int failures;
    ScheduledFuture<?> checks;
    ScheduledFuture<?> drainEnd;
    final AtomicInteger inFlight = new AtomicInteger();

    Registration(Target target) {
      this.target = target;
    }
  }

  TargetGroup(
      String arn,
      String loadBalancerArn,
      TargetGroupConfig config,
      ScheduledExecutorService scheduler,
      Clock clock) {
    this.arn = arn;
    this.loadBalancerArn = loadBalancerArn;
    this.config = config;
    this.scheduler = scheduler;
    this.clock = clock;
    // An ALB target group's attributes as DescribeTargetGroupAttributes lists them by default.
    attributes.put("stickiness.enabled", "false");
    attributes.put("deregistration_delay.timeout_seconds", "0");
    attributes.put("stickiness.type", "lb_cookie");
    attributes.put("stickiness.lb_cookie.duration_seconds", "86400");
    attributes.put("slow_start.duration_seconds", "0");
    attributes.put("stickiness.app_cookie.cookie_name", "");
    attributes.put("stickiness.app_cookie.duration_seconds", "86400");
    attributes.put("load_balancing.algorithm.type", "round_robin");
    attributes.put("load_balancing.cross_zone.enabled", "use_load_balancer_configuration");
    attributes.put("target_group_health.dns_failover.minimum_healthy_targets.count", "1");
    attributes.put(
        "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count", "1");
    attributes.put(
        "deregistration_delay.timeout_seconds",
        Long.toString(ceilSeconds(config.deregistrationDelay())));
  }

  public String arn() {
    return arn;
  }

  /**
   * The ALB this group pretends to be attached to (so targets are never {@code Target.NotInUse}).
   */
  public String loadBalancerArn() {
    return loadBalancerArn;
  }

  public synchronized TargetGroupConfig config() {
    return config;
  }

  /** The port of this group's reverse proxy on 127.0.0.1, started on first use. */
  public synchronized int proxyPort() {
    if (closed) {
      throw new IllegalStateException("target group " + arn + " is closed");
    }
    if (proxy == null) {
      proxy = TargetProxy.start(this);
    }
    return proxy.port();
  }

  /** Changes the deregistration delay, as {@code ModifyTargetGroupAttributes} would. */
  public synchronized void deregistrationDelay(Duration delay) {
    config = config.withDeregistrationDelay(delay);
    attributes.put("deregistration_delay.timeout_seconds", Long.toString(ceilSeconds(delay)));
  }

  synchronized Map<String, String> attributes() {
    return new LinkedHashMap<>(attributes);
  }

  synchronized void attribute(String key, String value) {
    if (key.equals("deregistration_delay.timeout_seconds")) {
      deregistrationDelay(Duration.ofSeconds(Long.parseLong(value)));
    } else {
      attributes.put(key, value);
    }
  }

  // ---- registration ----------------------------------------------------------------------------

  /** {@code RegisterTargets}: new and draining targets start {@code initial}; others unchanged. */
  public synchronized void register(Target target) {
    Registration r = registrations.get(target);
    if (r != null && !r.state.equals(DRAINING)) {
      return;
    }
    if (r == null) {
      r = new Registration(target);
      registrations.put(target, r);
      change(r, UNUSED, INITIAL, r.reason);
    } else {
      r.drainEnd.cancel(false);
      r.passes = 0;
      r.failures = 0;
      change(r, DRAINING, INITIAL, "Elb.RegistrationInProgress");
      r.state = INITIAL;
      r.reason = "Elb.RegistrationInProgress";
      r.description = "Target registration is in progress";
    }
    Registration registration = r;
    long every = config.interval().toMillis();
    r.checks =
        scheduler.scheduleAtFixedRate(() -> check(registration), 0, every, TimeUnit.MILLISECONDS);
  }

  /**
   * {@code DeregisterTargets}: a registered target drains for the deregistration delay; one that is
   * not registered (or already draining) is left as it is, and that is a success.
   */
  public synchronized void deregister(Target target) {
    Registration r = registrations.get(target);
    if (r == null || r.state.equals(DRAINING)) {
      return;
    }
    r.checks.cancel(false);
    String from = r.state;
    r.state = DRAINING;
    r.reason = "Target.DeregistrationInProgress";
    r.description = "Target deregistration is in progress";
    change(r, from, DRAINING, r.reason);
    r.drainEnd =
        scheduler.schedule(
            () -> drained(r), config.deregistrationDelay().toMillis(), TimeUnit.MILLISECONDS);
  }

  private synchronized void drained(Registration r) {
    if (registrations.get(r.target) != r || !r.state.equals(DRAINING)) {
      return;
    }
    registrations.remove(r.target);
    change(r, DRAINING, UNUSED, "Target.NotRegistered");
  }

  /** Every registered or draining target, in registration order. */
  public synchronized List<Health> health() {
    List<Health> all = new ArrayList<>();
    for (Registration r : registrations.values()) {
      all.add(health(r));
    }
    return all;
  }

  /** One target's health; {@code unused}/{@code Target.NotRegistered} when it is not registered. */
  public synchronized Health health(Target target) {
    Registration r = registrations.get(target);
    if (r == null) {
      return new Health(
          target, UNUSED, "Target.NotRegistered", "Target is not registered to the target group");
    }
    return health(r);
  }

  private static Health health(Registration r) {
    return new Health(r.target, r.state, r.reason, r.description);
  }

  /** The registered targets with this instance id (any port). */
  synchronized List<Target> targetsOf(String instanceId) {
    return registrations.keySet().stream().filter(t -> t.id().equals(instanceId)).toList();
  }

  /**
   * Waits (bounded) until {@code target} is in {@code state}; returns whether it got there. For
   * tests: the states change on the health checker's threads.
   */
  public synchronized boolean awaitState(Target target, String state, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!health(target).state().equals(state)) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    return true;
  }

  // ---- health checks -------------------------------------------------------------------------

  private void check(Registration r) {
    String path;
    Duration timeout;
    synchronized (this) {
      if (closed || registrations.get(r.target) != r || r.state.equals(DRAINING)) {
        return;
      }
      path = config.healthCheckPath();
      timeout = config.timeout();
    }
    CheckResult result = probe(r.target.port(), path, timeout);
    record(r, result);
  }

  /** A passed check has a null reason. */
  private record CheckResult(String reason, String description) {
    boolean passed() {
      return reason == null;
    }
  }

  /**
   * One health check on its own connection, as ALB nodes close theirs after each check; raw socket
   * so the 2xx test is on the status line alone and the timeout covers connect and read.
   */
  private static CheckResult probe(int port, String path, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(LOOPBACK, port), (int) Math.max(1, timeout.toMillis()));
      OutputStream out = socket.getOutputStream();
      out.write(
          ("GET "
                  + path
                  + " HTTP/1.1\r\nHost: 127.0.0.1:"
                  + port
                  + "\r\nUser-Agent: ELB-HealthChecker/2.0\r\nAccept-Encoding: gzip, compressed\r\n"
                  + "Connection: close\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (left <= 0) {
        return timedOut();
      }
      socket.setSoTimeout((int) left);
      String statusLine = readLine(socket.getInputStream(), deadline);
      String[] parts = statusLine.split(" ", 3);
      if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
        return new CheckResult("Target.FailedHealthChecks", "Health checks failed");
      }
      int status = Integer.parseInt(parts[1]);
      if (status >= 200 && status <= 299) {
        return new CheckResult(null, null);
      }
      return new CheckResult(
          "Target.ResponseCodeMismatch", "Health checks failed with these codes: [" + status + "]");
    } catch (SocketTimeoutException e) {
      return timedOut();
    } catch (IOException | NumberFormatException e) {
      return new CheckResult("Target.FailedHealthChecks", "Health checks failed");
    }
  }

  private static CheckResult timedOut() {
    return new CheckResult("Target.Timeout", "Request timed out");
  }

  private static String readLine(InputStream in, long deadline) throws IOException {
    StringBuilder line = new StringBuilder();
    while (line.length() < 1024) {
      if (System.nanoTime() > deadline) {
        throw new SocketTimeoutException("status line not in time");
      }
      int c = in.read();
      if (c < 0) {
        throw new IOException("connection closed before the status line");
      }
      if (c == '\n') {
        break;
      }
      if (c != '\r') {
        line.append((char) c);
      }
    }
    return line.toString();
  }

  private synchronized void record(Registration r, CheckResult result) {
    if (closed || registrations.get(r.target) != r || r.state.equals(DRAINING)) {
      return;
    }
    if (result.passed()) {
      r.failures = 0;
      r.passes++;
      if (!r.state.equals(HEALTHY) && r.passes >= config.healthyThreshold()) {
        change(r, r.state, HEALTHY, null);
        r.state = HEALTHY;
        r.reason = null;
        r.description = null;
      } else if (r.state.equals(INITIAL)) {
        r.reason = "Elb.InitialHealthChecking";
        r.description = "Initial health checks in progress";
      }
      return;
    }
    r.passes = 0;
    r.failures++;
    if (r.state.equals(UNHEALTHY)) {
      r.reason = result.reason();
      r.description = result.description();
    } else if (r.failures >= config.unhealthyThreshold()) {
      change(r, r.state, UNHEALTHY, result.reason());
      r.state = UNHEALTHY;
      r.reason = result.reason();
      r.description = result.description();
    } else if (r.state.equals(INITIAL)) {
      r.reason = "Elb.InitialHealthChecking";
      r.description = "Initial health checks in progress";
    }
  }

  private void change(Registration r, String from, String to, String reason) {
    timeline.add(new StateChange(clock.instant(), r.target, from, to, reason));
    notifyAll();
  }

  // ---- routing (the proxy) -----------------------------------------------------------------

  /**
   * Picks a {@code healthy} target round robin and counts a request in flight to it; empty when
   * none is healthy. The caller {@linkplain #release releases} it when the request is done.
   */
  synchronized Optional<Target> lease() {
    List<Registration> healthy =
        registrations.values().stream().filter(r -> r.state.equals(HEALTHY)).toList();
    if (healthy.isEmpty()) {
      return Optional.empty();
    }
    Registration r = healthy.get(Math.floorMod(roundRobin.getAndIncrement(), healthy.size()));
    r.inFlight.incrementAndGet();
    routed.computeIfAbsent(r.target, k -> new AtomicInteger()).incrementAndGet();
    return Optional.of(r.target);
  }

  synchronized void release(Target target) {
    Registration r = registrations.get(target);
    if (r != null) {
      r.inFlight.decrementAndGet();
    }
  }

  /** Requests the proxy sent to {@code target} so far. */
  public synchronized int requestsRouted(Target target) {
    AtomicInteger n = routed.get(target);
    return n == null ? 0 : n.get();
  }

  // ---- timeline --------------------------------------------------------------------------------

  /** Every state change so far, oldest first. */
  public synchronized List<StateChange> timeline() {
    return List.copyOf(timeline);
  }

  /**
   * The most hosts (instance ids) out of service at one moment: a host is out of service from the
   * moment it has no {@code healthy} target any more, after having had one, until one of its
   * targets is healthy again. A host with two ports (start-first) stays in service while either is
   * healthy; a host never healthy yet (still starting) does not count.
   */
  public static int maxHostsOutOfService(List<StateChange> changes) {
    Map<Target, String> state = new HashMap<>();
    Set<String> wasInService = new HashSet<>();
    int max = 0;
    for (StateChange c : changes) {
      state.put(c.target(), c.to());
      if (c.to().equals(HEALTHY)) {
        wasInService.add(c.target().id());
      }
      max = Math.max(max, outOfService(state, wasInService).size());
    }
    return max;
  }

  /**
   * The longest time one host was out of service (as in {@link #maxHostsOutOfService}); a host
   * still out of service counts up to {@code end}.
   */
  public static Duration longestOutOfService(List<StateChange> changes, Instant end) {
    Map<Target, String> state = new HashMap<>();
    Set<String> wasInService = new HashSet<>();
    Map<String, Instant> since = new HashMap<>();
    Duration longest = Duration.ZERO;
    for (StateChange c : changes) {
      state.put(c.target(), c.to());
      if (c.to().equals(HEALTHY)) {
        wasInService.add(c.target().id());
      }
      Set<String> out = outOfService(state, wasInService);
      for (String host : out) {
        since.putIfAbsent(host, c.at());
      }
      for (String host : new ArrayList<>(since.keySet())) {
        if (!out.contains(host)) {
          Duration d = Duration.between(since.remove(host), c.at());
          longest = d.compareTo(longest) > 0 ? d : longest;
        }
      }
    }
    for (Instant start : since.values()) {
      Duration d = Duration.between(start, end);
      longest = d.compareTo(longest) > 0 ? d : longest;
    }
    return longest;
  }

  private static Set<String> outOfService(Map<Target, String> state, Set<String> wasInService) {
    Set<String> in = new HashSet<>();
    state.forEach(
        (t, s) -> {
          if (s.equals(HEALTHY)) {
            in.add(t.id());
          }
        });
    Set<String> out = new HashSet<>(wasInService);
    out.removeAll(in);
    return out;
  }

  /** Stops checking, draining and proxying; idempotent. */
  @Override
  public void close() {
    TargetProxy p;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      for (Registration r : registrations.values()) {
        if (r.checks != null) {
          r.checks.cancel(false);
        }
        if (r.drainEnd != null) {
          r.drainEnd.cancel(false);
        }
      }
      p = proxy;
      notifyAll();
    }
    if (p != null) {
      p.close();
    }
  }

  static long ceilSeconds(Duration d) {
    long s = d.getSeconds();
    return d.getNano() > 0 ? s + 1 : s;
  }
}
