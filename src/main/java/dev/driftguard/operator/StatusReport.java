package dev.driftguard.operator;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Renders the agent's {@code /status} document as {@code driftguard status} prints it: a line about
 * the agent, a table with one row per service, then whatever needs the operator's attention (a
 * rejected desired value, a digest that failed and was rolled back, the last error). Pure.
 *
 * <p>Reads the document leniently: a field that is missing or null shows as {@code -}, so an agent
 * one version ahead or behind still gets a useful table.
 */
final class StatusReport {
  private StatusReport() {}

  /**
   * @throws OperatorException when {@code status} is not a {@code /status} document at all
   */
  static String render(JsonNode status, Instant now) {
    if (status == null || !status.isObject() || !status.path("services").isArray()) {
      throw new OperatorException(
          "the agent's /status answer has no services list; is the agent the same version as this"
              + " command?");
    }
    StringBuilder out = new StringBuilder();
    JsonNode agent = status.path("agent");
    out.append("agent ")
        .append(orNone(text(agent, "version")))
        .append(" on ")
        .append(text(agent, "instanceId") == null ? "this host" : text(agent, "instanceId"))
        .append(": last tick ")
        .append(Text.age(Text.instant(text(agent, "lastTick")), now))
        .append(", last successful poll ")
        .append(Text.age(Text.instant(text(agent, "lastSuccessfulPoll")), now))
        .append('\n');
    if (status.path("services").isEmpty()) {
      return out.append("no services configured\n").toString();
    }
    out.append('\n');
    Table table =
        new Table(
            "SERVICE", "IN SYNC", "PHASE", "DESIRED", "RUNNING", "HEALTH", "TARGET", "LAST DEPLOY");
    List<String> notes = new ArrayList<>();
    for (JsonNode s : status.path("services")) {
      String name = orNone(text(s, "name"));
      table.row(
          name,
          s.path("inSync").isBoolean() ? (s.path("inSync").asBoolean() ? "yes" : "NO") : null,
          text(s, "phase"),
          desired(s.path("desired")),
          running(s.path("running")),
          text(s.path("running"), "health"),
          target(s.path("target")),
          lastDeploy(s.path("lastDeploy"), now));
      notes.addAll(notes(name, s));
    }
    out.append(table.render());
    if (!notes.isEmpty()) {
      out.append('\n');
      notes.forEach(n -> out.append(n).append('\n'));
    }
    return out.toString();
  }

  private static String desired(JsonNode desired) {
    String state = text(desired, "state");
    if (state == null || state.equals("pinned")) {
      return Text.shortDigest(text(desired, "digest"));
    }
    return state; // rejected or unavailable: the detail is printed below the table
  }

  private static String running(JsonNode running) {
    String digest = Text.shortDigest(text(running, "digest"));
    String state = text(running, "state");
    if (state == null || state.equals("running")) {
      return digest;
    }
    return state.equals("missing") ? state : digest + " (" + state + ")";
  }

  private static String target(JsonNode target) {
    if (!target.isObject()) {
      return null; // no load balancer for this service
    }
    // The state is null until the agent has asked the load balancer; the port is still worth
    // showing.
    String state = text(target, "state") == null ? Table.NONE : text(target, "state");
    return target.path("port").isInt() ? state + " :" + target.path("port").asInt() : state;
  }

  private static String lastDeploy(JsonNode deploy, Instant now) {
    String outcome = text(deploy, "outcome");
    if (outcome == null) {
      return null;
    }
    StringBuilder cell = new StringBuilder(outcome);
    Instant at = Text.instant(text(deploy, "at"));
    if (at != null) {
      cell.append(' ').append(Text.age(at, now));
    }
    if (deploy.path("durationSeconds").isNumber()) {
      cell.append(" (").append(Text.seconds(deploy.path("durationSeconds").asDouble())).append(')');
    }
    return cell.toString();
  }

  private static List<String> notes(String name, JsonNode s) {
    List<String> notes = new ArrayList<>();
    JsonNode desired = s.path("desired");
    String state = text(desired, "state");
    if (state != null && !state.equals("pinned")) {
      notes.add(
          name
              + ": desired state "
              + state
              + (text(desired, "detail") == null ? "" : ": " + text(desired, "detail"))
              + (state.equals("rejected") ? " (the running container is left as it is)" : ""));
    }
    String failed = text(s, "failedDigest");
    if (failed != null) {
      notes.add(
          name
              + ": "
              + failed
              + " failed here and was rolled back; it is not tried again until the desired value"
              + " changes");
    }
    String error = text(s, "lastError");
    if (error != null) {
      notes.add(name + ": last error: " + error);
    }
    return notes;
  }

  private static String text(JsonNode node, String field) {
    JsonNode value = node.path(field);
    if (value.isMissingNode() || value.isNull()) {
      return null;
    }
    String text = value.asText();
    return text.isBlank() ? null : text;
  }

  private static String orNone(String value) {
    return value == null ? Table.NONE : value;
  }
}
