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
 * servers and notices, SSM parameters and ECR images. Query parameters in, JSON out; writes are
 * {@code POST}. The routes are listed in {@code package-info.java}.
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

  private static void requirePost(boolean post) {
    if (!post) {
      throw new IllegalArgumentException("POST only");
    }
  }

  private static Duration millis(Map<String, String> q, String key, long fallback) {
    return Duration.ofMillis(Long.parseLong(q.getOrDefault(key, Long.toString(fallback))));
  }
}
