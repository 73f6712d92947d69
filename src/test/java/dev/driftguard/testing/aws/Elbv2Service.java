package dev.driftguard.testing.aws;

import dev.driftguard.testing.aws.TargetGroup.Health;
import dev.driftguard.testing.aws.TargetGroup.Target;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * ELBv2 over the query protocol (signing name {@code elasticloadbalancing}, {@code
 * Version=2015-12-01}): target groups the test creates ({@link #createTargetGroup}) with {@code
 * RegisterTargets}, {@code DeregisterTargets}, {@code DescribeTargetHealth}, {@code
 * DescribeTargetGroups}, {@code DescribeTargetGroupAttributes} and {@code
 * ModifyTargetGroupAttributes}. The target states are driven by real health checks ({@link
 * TargetGroup}); each group has a reverse proxy ({@link TargetGroup#proxyPort()}).
 *
 * <p>Documented behaviours kept: an unknown group is {@code TargetGroupNotFound}; deregistering a
 * target that is not registered succeeds; a target that is not registered, asked about by id, is
 * {@code unused}/{@code Target.NotRegistered}; targets must be instances EC2 knows ({@code
 * InvalidTarget} otherwise, {@code ValidationError} for a malformed id or port). Errors come back
 * as {@code <ErrorResponse><Error><Type>Sender</Type><Code>}, HTTP 400.
 */
public final class Elbv2Service extends QueryService {
  static final String NAMESPACE = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/";
  private static final Pattern INSTANCE_ID = Pattern.compile("i-[0-9a-f]{8}([0-9a-f]{9})?");
  private static final Set<String> ATTRIBUTE_KEYS =
      Set.of(
          "stickiness.enabled",
          "deregistration_delay.timeout_seconds",
          "stickiness.type",
          "stickiness.lb_cookie.duration_seconds",
          "slow_start.duration_seconds",
          "stickiness.app_cookie.cookie_name",
          "stickiness.app_cookie.duration_seconds",
          "load_balancing.algorithm.type",
          "load_balancing.cross_zone.enabled",
          "target_group_health.dns_failover.minimum_healthy_targets.count",
          "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count");

  private final String region;
  private final String accountId;
  private final Ec2Service ec2;
  private final ScheduledThreadPoolExecutor scheduler;
  private final Map<String, TargetGroup> groups = new LinkedHashMap<>();

  Elbv2Service(String region, String accountId, Ec2Service ec2) {
    super("elasticloadbalancing", "2015-12-01");
    this.region = region;
    this.accountId = accountId;
    this.ec2 = ec2;
    AtomicInteger threads = new AtomicInteger();
    // Health checks block at most their timeout (shorter than the interval); 8 threads keep a
    // fleet of a dozen targets on schedule.
    this.scheduler =
        new ScheduledThreadPoolExecutor(
            8,
            r -> {
              Thread t = new Thread(r, "local-elb-health-" + threads.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    scheduler.setRemoveOnCancelPolicy(true);
  }

  @Override
  public String key() {
    return "elbv2";
  }

  @Override
  List<String> operationNames() {
    return List.of(
        "RegisterTargets",
        "DeregisterTargets",
        "DescribeTargetHealth",
        "DescribeTargetGroups",
        "DescribeTargetGroupAttributes",
        "ModifyTargetGroupAttributes");
  }

  // ---- test knobs --------------------------------------------------------------------------

  /**
   * Creates a target group (port 80, check timeout half the interval) and returns its ARN, {@code
   * arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/HEX}.
   */
  public String createTargetGroup(
      String name,
      String healthCheckPath,
      int healthyThreshold,
      int unhealthyThreshold,
      Duration interval,
      Duration deregistrationDelay) {
    return createTargetGroup(
        TargetGroupConfig.of(
            name,
            healthCheckPath,
            healthyThreshold,
            unhealthyThreshold,
            interval,
            deregistrationDelay));
  }

  /** Creates a target group; names are unique per account and region, as in AWS. */
  public synchronized String createTargetGroup(TargetGroupConfig config) {
    for (TargetGroup g : groups.values()) {
      if (g.config().name().equals(config.name())) {
        throw new IllegalArgumentException(
            "a target group named " + config.name() + " exists already: " + g.arn());
      }
    }
    String prefix = "arn:aws:elasticloadbalancing:" + region + ":" + accountId + ":";
    String arn = prefix + "targetgroup/" + config.name() + "/" + hex16();
    String lb = prefix + "loadbalancer/app/" + config.name() + "/" + hex16();
    // Health checks run in real time, so the timeline does too (not the endpoint's clock).
    groups.put(arn, new TargetGroup(arn, lb, config, scheduler, Clock.systemUTC()));
    return arn;
  }

  /** The group with this ARN. */
  public synchronized TargetGroup targetGroup(String arn) {
    TargetGroup g = groups.get(arn);
    if (g == null) {
      throw new IllegalArgumentException("no target group " + arn);
    }
    return g;
  }

  public synchronized List<String> targetGroupArns() {
    return List.copyOf(groups.keySet());
  }

  private synchronized TargetGroup group(Map<String, String> p) {
    String arn = p.get("TargetGroupArn");
    if (arn == null || arn.isEmpty()) {
      throw validation("Target group ARN must be specified");
    }
    if (!arn.startsWith("arn:aws:elasticloadbalancing:")) {
      throw validation("'" + arn + "' is not a valid target group ARN");
    }
    TargetGroup g = groups.get(arn);
    if (g == null) {
      throw notFound();
    }
    return g;
  }

  // ---- operations --------------------------------------------------------------------------

  @Override
  Xml call(String operation, Map<String, String> p) {
    return switch (operation) {
      case "RegisterTargets" -> registerTargets(p);
      case "DeregisterTargets" -> deregisterTargets(p);
      case "DescribeTargetHealth" -> describeTargetHealth(p);
      case "DescribeTargetGroups" -> describeTargetGroups(p);
      case "DescribeTargetGroupAttributes" -> describeTargetGroupAttributes(p);
      case "ModifyTargetGroupAttributes" -> modifyTargetGroupAttributes(p);
      default -> throw new IllegalStateException(operation);
    };
  }

  private Xml registerTargets(Map<String, String> p) {
    TargetGroup g = group(p);
    List<Target> targets = targets(p, g, true);
    List<String> unknown = new ArrayList<>();
    for (Target t : targets) {
      if (!ec2.hasInstance(t.id())) {
        unknown.add("'" + t.id() + "'");
      }
    }
    if (!unknown.isEmpty()) {
      throw AwsFault.badRequest(
          "InvalidTarget",
          "The following targets are not valid instances: " + String.join(", ", unknown));
    }
    targets.forEach(g::register);
    return empty("RegisterTargets");
  }

  private Xml deregisterTargets(Map<String, String> p) {
    TargetGroup g = group(p);
    targets(p, g, true).forEach(g::deregister);
    return empty("DeregisterTargets");
  }

  private Xml describeTargetHealth(Map<String, String> p) {
    TargetGroup g = group(p);
    List<Health> rows = new ArrayList<>();
    List<Map<String, String>> asked = members(p, "Targets.member");
    if (asked.isEmpty()) {
      rows.addAll(g.health());
    } else {
      for (Map<String, String> m : asked) {
        String id = m.getOrDefault("Id", "");
        if (m.containsKey("Port")) {
          rows.add(g.health(new Target(id, port(m.get("Port")))));
        } else {
          // Without a port, every registration of the instance; none is one unused row.
          List<Target> registered = g.targetsOf(id);
          if (registered.isEmpty()) {
            rows.add(g.health(new Target(id, g.config().port())));
          } else {
            registered.forEach(t -> rows.add(g.health(t)));
          }
        }
      }
    }
    Xml xml = result("DescribeTargetHealth").open("TargetHealthDescriptions");
    for (Health h : rows) {
      xml.open("member")
          .open("Target")
          .leaf("Id", h.target().id())
          .leaf("Port", h.target().port())
          .close("Target")
          .leaf("HealthCheckPort", h.target().port())
          .open("TargetHealth")
          .leaf("State", h.state())
          .leaf("Reason", h.reason())
          .leaf("Description", h.description())
          .close("TargetHealth")
          .close("member");
    }
    return end(xml.close("TargetHealthDescriptions"), "DescribeTargetHealth");
  }

  private Xml describeTargetGroups(Map<String, String> p) {
    List<String> arns = values(p, "TargetGroupArns.member");
    List<String> names = values(p, "Names.member");
    String lb = p.get("LoadBalancerArn");
    List<TargetGroup> found = new ArrayList<>();
    synchronized (this) {
      if (!arns.isEmpty()) {
        for (String arn : arns) {
          TargetGroup g = groups.get(arn);
          if (g == null) {
            throw notFound();
          }
          found.add(g);
        }
      } else if (!names.isEmpty()) {
        for (String name : names) {
          TargetGroup g =
              groups.values().stream()
                  .filter(x -> x.config().name().equals(name))
                  .findFirst()
                  .orElseThrow(Elbv2Service::notFound);
          found.add(g);
        }
      } else {
        for (TargetGroup g : groups.values()) {
          if (lb == null || g.loadBalancerArn().equals(lb)) {
            found.add(g);
          }
        }
      }
    }
    Xml xml = result("DescribeTargetGroups").open("TargetGroups");
    for (TargetGroup g : found) {
      TargetGroupConfig c = g.config();
      xml.open("member")
          .leaf("TargetGroupArn", g.arn())
          .leaf("TargetGroupName", c.name())
          .leaf("Protocol", "HTTP")
          .leaf("Port", c.port())
          .leaf("VpcId", "vpc-0123456789abcdef0")
          .leaf("HealthCheckProtocol", "HTTP")
          .leaf("HealthCheckPort", "traffic-port")
          .leaf("HealthCheckEnabled", true)
          .leaf("HealthCheckIntervalSeconds", TargetGroup.ceilSeconds(c.interval()))
          .leaf("HealthCheckTimeoutSeconds", TargetGroup.ceilSeconds(c.timeout()))
          .leaf("HealthyThresholdCount", c.healthyThreshold())
          .leaf("UnhealthyThresholdCount", c.unhealthyThreshold())
          .leaf("HealthCheckPath", c.healthCheckPath())
          .open("Matcher")
          .leaf("HttpCode", "200-299")
          .close("Matcher")
          .open("LoadBalancerArns")
          .leaf("member", g.loadBalancerArn())
          .close("LoadBalancerArns")
          .leaf("TargetType", "instance")
          .leaf("ProtocolVersion", "HTTP1")
          .leaf("IpAddressType", "ipv4")
          .close("member");
    }
    return end(xml.close("TargetGroups"), "DescribeTargetGroups");
  }

  private Xml describeTargetGroupAttributes(Map<String, String> p) {
    TargetGroup g = group(p);
    return attributes("DescribeTargetGroupAttributes", g.attributes());
  }

  private Xml modifyTargetGroupAttributes(Map<String, String> p) {
    TargetGroup g = group(p);
    List<Map<String, String>> changes = members(p, "Attributes.member");
    if (changes.isEmpty()) {
      throw validation("Attributes must be specified");
    }
    // Validate all first: AWS applies all the changes or none.
    for (Map<String, String> m : changes) {
      String key = m.getOrDefault("Key", "");
      String value = m.getOrDefault("Value", "");
      if (!ATTRIBUTE_KEYS.contains(key)) {
        throw validation("Target group attribute key '" + key + "' is not recognized");
      }
      if (key.equals("deregistration_delay.timeout_seconds")) {
        int seconds;
        try {
          seconds = Integer.parseInt(value);
        } catch (NumberFormatException e) {
          throw validation("Target group attribute '" + key + "' must be an integer");
        }
        if (seconds < 0 || seconds > 3600) {
          throw validation(
              "'deregistration_delay.timeout_seconds' must be between 0 and 3600 seconds");
        }
      }
    }
    for (Map<String, String> m : changes) {
      g.attribute(m.get("Key"), m.getOrDefault("Value", ""));
    }
    return attributes("ModifyTargetGroupAttributes", g.attributes());
  }

  // ---- helpers -------------------------------------------------------------------------------

  private static List<Target> targets(Map<String, String> p, TargetGroup g, boolean required) {
    List<Map<String, String>> members = members(p, "Targets.member");
    if (required && members.isEmpty()) {
      throw validation("Targets must be specified");
    }
    List<Target> targets = new ArrayList<>();
    for (Map<String, String> m : members) {
      String id = m.getOrDefault("Id", "");
      if (!INSTANCE_ID.matcher(id).matches()) {
        throw validation("Instance ID '" + id + "' is not valid");
      }
      int port = m.containsKey("Port") ? port(m.get("Port")) : g.config().port();
      targets.add(new Target(id, port));
    }
    return targets;
  }

  private static int port(String text) {
    try {
      int port = Integer.parseInt(text);
      if (port >= 1 && port <= 65535) {
        return port;
      }
    } catch (NumberFormatException e) {
      // Reported below.
    }
    throw validation("Port '" + text + "' must be between 1 and 65535");
  }

  private static Xml attributes(String operation, Map<String, String> attributes) {
    Xml xml = result(operation).open("Attributes");
    attributes.forEach(
        (k, v) -> xml.open("member").leaf("Key", k).leaf("Value", v).close("member"));
    return end(xml.close("Attributes"), operation);
  }

  /** The SDK reads the result from the root's first child, so the result must come first. */
  private static Xml result(String operation) {
    return new Xml(operation + "Response", NAMESPACE).open(operation + "Result");
  }

  private static Xml end(Xml xml, String operation) {
    return xml.close(operation + "Result")
        .open("ResponseMetadata")
        .leaf("RequestId", requestId())
        .close("ResponseMetadata")
        .close(operation + "Response");
  }

  private static Xml empty(String operation) {
    return end(result(operation), operation);
  }

  private static AwsFault validation(String message) {
    return AwsFault.badRequest("ValidationError", message);
  }

  private static AwsFault notFound() {
    return AwsFault.badRequest("TargetGroupNotFound", "One or more target groups not found");
  }

  private static String hex16() {
    return String.format("%016x", ThreadLocalRandom.current().nextLong());
  }

  @Override
  public AwsReply error(AwsFault fault) {
    return errorResponse(NAMESPACE, fault);
  }

  /** Stops every group's checks and proxy, then the health-check threads. */
  void close() {
    List<TargetGroup> all;
    synchronized (this) {
      all = new ArrayList<>(groups.values());
    }
    all.forEach(TargetGroup::close);
    scheduler.shutdownNow();
    try {
      scheduler.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
