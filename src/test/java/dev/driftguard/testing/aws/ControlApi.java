package dev.driftguard.testing.aws;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.driftguard.testing.aws.TargetGroup.Health;
import dev.driftguard.testing.aws.TargetGroup.StateChange;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The fixture half of {@link LocalAws}'s control API under {@code /_localaws/}, for a driver in
 * another process (end-to-end tests): instances, target groups, their timelines and proxies, IMDS
 * servers and notices, SSM parameters and ECR images, and injected faults. Query parameters in,
 * JSON out; writes are {@code POST}. The routes are listed in {@code package-info.java}.
 */
final class ControlApi {
  private static final ObjectMapper JSON = new ObjectMapper();

  private ControlApi() {}

  /** The answer to {@code action}, or empty when it is not one of these routes. */
  static Optional<AwsReply> handle(
      LocalAws aws, String action, String method, Map<String, String> q) {
    boolean post = method.equals("POST");
    ObjectNode out = JSON.createObjectNode();
    switch (action) {
      case "instances" -> {
        if (post) {
          String id = q.getOrDefault("id", Ec2Service.newInstanceId());
          Map<String, String> tags = new LinkedHashMap<>();
          q.forEach(
              (k, v) -> {
                if (k.startsWith("tag.")) {
                  tags.put(k.substring(4), v);
                }
              });
          if (q.containsKey("az")) {
            aws.ec2().addInstance(id, q.get("az"), tags);
          } else {
            aws.ec2().addInstance(id, tags);
          }
          out.put("instanceId", id);
        } else {
          ArrayNode list = out.putArray("instances");
          for (String id : aws.ec2().instanceIds()) {
            ObjectNode i = list.addObject().put("instanceId", id);
            ObjectNode tags = i.putObject("tags");
            aws.ec2().tags(id).forEach(tags::put);
          }
        }
      }
      case "tags" -> {
        String id = LocalAws.required(q, "instanceId");
        if (post) {
          Map<String, String> tags = new LinkedHashMap<>();
          q.forEach(
              (k, v) -> {
                if (k.startsWith("tag.")) {
                  tags.put(k.substring(4), v);
                }
              });
          aws.ec2().putTags(id, tags);
        }
        ObjectNode tags = out.putObject("tags");
        aws.ec2().tags(id).forEach(tags::put);
      }
      case "target-groups" -> {
        requirePost(post);
        Duration interval = millis(q, "intervalMillis", 1000);
        TargetGroupConfig config =
            new TargetGroupConfig(
                LocalAws.required(q, "name"),
                Integer.parseInt(q.getOrDefault("port", "80")),
                q.getOrDefault("path", "/"),
                Integer.parseInt(q.getOrDefault("healthyThreshold", "2")),
                Integer.parseInt(q.getOrDefault("unhealthyThreshold", "2")),
                interval,
                q.containsKey("timeoutMillis")
                    ? millis(q, "timeoutMillis", 0)
                    : interval.dividedBy(2),
                millis(q, "deregistrationDelayMillis", 5000));
        String arn = aws.elbv2().createTargetGroup(config);
        out.put("arn", arn).put("proxyPort", aws.proxyPort(arn));
      }
      case "proxy-port" -> out.put("proxyPort", aws.proxyPort(LocalAws.required(q, "arn")));
      case "target-health" -> {
        ArrayNode list = out.putArray("targets");
        for (Health h : aws.targetGroup(LocalAws.required(q, "arn")).health()) {
          list.addObject()
              .put("instanceId", h.target().id())
              .put("port", h.target().port())
              .put("state", h.state())
              .put("reason", h.reason());
        }
      }
      case "timeline" -> {
        List<StateChange> changes = aws.timeline(LocalAws.required(q, "arn"));
        ArrayNode list = out.putArray("changes");
        for (StateChange c : changes) {
          list.addObject()
              .put("at", c.at().toString())
              .put("epochMillis", c.at().toEpochMilli())
              .put("instanceId", c.target().id())
              .put("port", c.target().port())
              .put("from", c.from())
              .put("to", c.to())
              .put("reason", c.reason());
        }
        out.put("maxHostsOutOfService", TargetGroup.maxHostsOutOfService(changes))
            .put(
                "longestOutOfServiceMillis",
                TargetGroup.longestOutOfService(changes, Instant.now()).toMillis());
      }
      case "imds" -> {
        requirePost(post);
        ImdsServer imds = aws.imds(LocalAws.required(q, "instanceId"));
        out.put("port", imds.port()).put("endpoint", imds.endpoint().toString());
      }
      case "spot-notice" -> {
        requirePost(post);
        ImdsServer imds = aws.imds(LocalAws.required(q, "instanceId"));
        if (Boolean.parseBoolean(q.getOrDefault("clear", "false"))) {
          imds.spotInterruption(null, null);
        } else {
          imds.spotInterruption(
              q.getOrDefault("action", "terminate"),
              q.containsKey("time")
                  ? Instant.parse(q.get("time"))
                  : Instant.now().plus(Duration.ofMinutes(2)));
        }
      }
      case "lifecycle-state" -> {
        requirePost(post);
        aws.imds(LocalAws.required(q, "instanceId"))
            .targetLifecycleState(LocalAws.required(q, "state"));
      }
      case "metadata-tags" -> {
        requirePost(post);
        aws.imds(LocalAws.required(q, "instanceId"))
            .instanceMetadataTags(Boolean.parseBoolean(LocalAws.required(q, "enabled")));
      }
      case "ssm-parameters" -> {
        requirePost(post);
        String name = LocalAws.required(q, "name");
        String value = LocalAws.required(q, "value");
        long version =
            Boolean.parseBoolean(q.getOrDefault("secure", "false"))
                ? aws.ssm().putSecure(name, value)
                : aws.ssm().put(name, value);
        out.put("version", version);
      }
      case "ecr-images" -> {
        requirePost(post);
        aws.ecr()
            .putImage(
                LocalAws.required(q, "repository"), q.get("tag"), LocalAws.required(q, "digest"));
      }
      case "ecr-images/test-env" -> {
        requirePost(post);
        List<String> tags =
            q.containsKey("envFile")
                ? aws.ecr().registerTestEnvImages(Path.of(q.get("envFile")))
                : aws.ecr().registerTestEnvImages();
        ArrayNode list = out.putArray("tags");
        tags.forEach(list::add);
      }
      case "faults" -> faults(aws, method, q, out);
      default -> {
        return Optional.empty();
      }
    }
    try {
      return Optional.of(AwsReply.text(200, "application/json", JSON.writeValueAsString(out)));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * {@code POST}: installs a {@link FaultRule} from {@code service}, {@code operation} (default
   * {@code *}), {@code kind} ({@code throttle}, {@code unavailable}, {@code internal}, {@code
   * latency} with {@code latencyMillis}, or {@code error} with {@code code}, {@code status} (400)
   * and {@code message}; a {@code code} alone means {@code error}), and any of {@code served},
   * {@code count}, {@code rate} with {@code seed}, {@code forMillis}, {@code fromEpochMillis} with
   * {@code untilEpochMillis}; answers its {@code id}. {@code GET}: the rules with their hits.
   * {@code DELETE}: removes rule {@code id}, or all.
   */
  private static void faults(LocalAws aws, String method, Map<String, String> q, ObjectNode out) {
    switch (method) {
      case "POST" -> {
        String service = LocalAws.required(q, "service");
        String operation = q.getOrDefault("operation", "*");
        String kind = q.getOrDefault("kind", q.containsKey("code") ? "error" : "");
        FaultRule rule =
            switch (kind) {
              case "throttle" -> FaultRule.throttle(service, operation);
              case "unavailable" -> FaultRule.unavailable(service, operation);
              case "internal" -> FaultRule.internalError(service, operation);
              case "latency" ->
                  FaultRule.latency(
                      service,
                      operation,
                      Duration.ofMillis(Long.parseLong(LocalAws.required(q, "latencyMillis"))));
              case "error" ->
                  FaultRule.error(
                      service,
                      operation,
                      new AwsFault(
                          Integer.parseInt(q.getOrDefault("status", "400")),
                          LocalAws.required(q, "code"),
                          q.getOrDefault("message", "injected by local-aws")));
              default ->
                  throw new IllegalArgumentException(
                      "kind must be throttle, unavailable, internal, latency or error (or give a code)");
            };
        if (q.containsKey("served")) {
          rule = rule.after(Integer.parseInt(q.get("served")));
        }
        if (q.containsKey("count")) {
          rule = rule.times(Integer.parseInt(q.get("count")));
        }
        if (q.containsKey("rate")) {
          rule =
              rule.rate(
                  Double.parseDouble(q.get("rate")), Long.parseLong(q.getOrDefault("seed", "0")));
        }
        if (q.containsKey("forMillis")) {
          rule = rule.forNext(millis(q, "forMillis", 0));
        } else if (q.containsKey("fromEpochMillis") || q.containsKey("untilEpochMillis")) {
          rule =
              rule.between(
                  Instant.ofEpochMilli(Long.parseLong(LocalAws.required(q, "fromEpochMillis"))),
                  Instant.ofEpochMilli(Long.parseLong(LocalAws.required(q, "untilEpochMillis"))));
        }
        int id = aws.faultRegistry().add(rule);
        out.put("id", id).put("rule", aws.faultRegistry().get(id).toString());
      }
      case "GET" -> {
        ArrayNode list = out.putArray("faults");
        aws.faults()
            .forEach(
                (id, rule) ->
                    list.addObject()
                        .put("id", id)
                        .put("rule", rule.toString())
                        .put("hits", rule.hits()));
      }
      case "DELETE" -> {
        if (q.containsKey("id")) {
          aws.faultRegistry().remove(Integer.parseInt(q.get("id")));
        } else {
          aws.clearFaults();
        }
      }
      default -> throw new IllegalArgumentException("GET, POST or DELETE");
    }
  }

  private static void requirePost(boolean post) {
    if (!post) {
      throw new IllegalArgumentException("POST only");
    }
  }

  private static Duration millis(Map<String, String> q, String key, long fallback) {
    return Duration.ofMillis(Long.parseLong(q.getOrDefault(key, Long.toString(fallback))));
  }
}
