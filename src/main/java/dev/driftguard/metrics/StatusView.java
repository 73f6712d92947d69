package dev.driftguard.metrics;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.driftguard.model.ContainerInfo;
import dev.driftguard.model.DesiredState;
import dev.driftguard.model.HealthSpec;
import dev.driftguard.model.ObservedService;
import dev.driftguard.model.ServiceSpec;
import dev.driftguard.model.ServiceState;
import dev.driftguard.reconcile.Action;
import dev.driftguard.reconcile.ReconcileListener;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * The document behind {@code /status} (schema in docs/status.md): per service what it should run,
 * what runs, the phase, health, target state and last deploy. Desired, running, in-sync and target
 * state come from the loop's events; phase, last deploy, failed digest and last error are read from
 * the agent's live state at each request, so a deploy under way shows its current phase.
 *
 * <p>Only names, digests, states and the agent's own messages appear: never an environment value or
 * anything read from a secret.
 */
public final class StatusView implements ReconcileListener {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final String version;
  private final String instanceId;
  private final Map<String, ServiceSpec> specs = new LinkedHashMap<>();
  private final Function<String, ServiceState> liveState;
  private final Map<String, Entry> entries = new LinkedHashMap<>();

  /**
   * @param instanceId the EC2 instance id, or null when not known
   * @param liveState the agent's remembered state of a service ({@code StateBook#get})
   */
  public StatusView(
      String version,
      String instanceId,
      List<ServiceSpec> services,
      Function<String, ServiceState> liveState) {
    this.version = version;
    this.instanceId = instanceId;
    this.liveState = liveState;
    for (ServiceSpec service : services) {
      specs.put(service.name(), service);
      entries.put(service.name(), new Entry());
    }
  }

  @Override
  public synchronized void desiredRead(String service, DesiredState desired) {
    entry(service).desired = desired;
  }

  @Override
  public synchronized void observed(String service, ObservedService observed) {
    Entry e = entry(service);
    e.container = observed.current();
    e.observed = observed;
  }

  @Override
  public synchronized void passFinished(String service, boolean inSync, Action action) {
    entry(service).inSync = inSync;
  }

  @Override
  public synchronized void passFailed(String service, RuntimeException error) {
    entry(service).inSync = false;
  }

  @Override
  public synchronized void targetState(String service, int hostPort, String state) {
    entry(service).targetState = state;
  }

  /**
   * The status document as JSON.
   *
   * @param lastTick when the loop last finished a pass, or null
   * @param lastSuccessfulPoll when the desired state was last read without error, or null
   */
  public String json(Instant lastTick, Instant lastSuccessfulPoll) {
    ObjectNode root = JSON.createObjectNode();
    ObjectNode agent = root.putObject("agent");
    agent.put("version", version);
    agent.put("instanceId", instanceId);
    agent.put("lastTick", iso(lastTick));
    agent.put("lastSuccessfulPoll", iso(lastSuccessfulPoll));
    ArrayNode list = root.putArray("services");
    synchronized (this) {
      entries.forEach((name, entry) -> render(list.addObject(), name, entry));
    }
    try {
      return JSON.writeValueAsString(root) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a tree of strings and numbers always serialises", e);
    }
  }

  private void render(ObjectNode out, String name, Entry entry) {
    ServiceSpec spec = specs.get(name);
    ServiceState state = liveState.apply(name);
    out.put("name", name);
    out.put("inSync", entry.inSync);
    out.put("phase", state.phase().label());

    ObjectNode desired = out.putObject("desired");
    if (entry.desired instanceof DesiredState.Pinned pinned) {
      desired.put("state", "pinned");
      desired.put("image", pinned.image().toString());
      desired.put("digest", pinned.image().digest().value());
      desired.putNull("detail");
    } else if (entry.desired instanceof DesiredState.Rejected rejected) {
      desired.put("state", "rejected");
      desired.putNull("image");
      desired.putNull("digest");
      desired.put("detail", rejected.reason().label() + ": " + rejected.message());
    } else {
      DesiredState.Unavailable unavailable =
          entry.desired instanceof DesiredState.Unavailable u ? u : null;
      desired.put("state", "unavailable");
      desired.putNull("image");
      desired.putNull("digest");
      desired.put(
          "detail",
          unavailable == null
              ? "not read yet"
              : unavailable.cause() + (unavailable.throttled() ? " (throttled)" : ""));
    }

    ObjectNode running = out.putObject("running");
    ContainerInfo c = entry.container;
    running.put("container", c == null ? containerName(spec, name) : stripSlash(c.name()));
    running.put("digest", c == null ? null : c.digest().map(d -> d.value()).orElse(null));
    running.put("state", c == null ? "missing" : c.state().name().toLowerCase(Locale.ROOT));
    running.put("health", health(spec, entry.observed));

    if (spec != null && spec.hasLoadBalancer()) {
      ObjectNode target = out.putObject("target");
      target.put("port", spec.traffic().port());
      target.put("state", entry.targetState);
    } else {
      out.putNull("target");
    }

    ObjectNode deploy = out.putObject("lastDeploy");
    deploy.put("outcome", state.lastOutcome() == null ? null : state.lastOutcome().label());
    deploy.put("at", iso(state.lastDeployAt()));
    if (state.lastDeployDuration() == null) {
      deploy.putNull("durationSeconds");
    } else {
      deploy.put("durationSeconds", state.lastDeployDuration().toMillis() / 1000.0);
    }
    out.put("failedDigest", state.failed() == null ? null : state.failed().value());
    out.put("lastError", state.lastError());
  }

  /** The verdict of the service's own check ({@link ObservedService#health}), as the gauge's. */
  private static String health(ServiceSpec spec, ObservedService observed) {
    if (observed == null) {
      return "none";
    }
    HealthSpec.Type check = spec == null ? HealthSpec.Type.DOCKER : spec.health().type();
    return observed.health(check).name().toLowerCase(Locale.ROOT);
  }

  private static String containerName(ServiceSpec spec, String service) {
    return spec == null ? service : spec.containerName();
  }

  private static String stripSlash(String name) {
    // The engine reports names with a leading slash.
    return name != null && name.startsWith("/") ? name.substring(1) : name;
  }

  private static String iso(Instant instant) {
    return instant == null ? null : instant.toString();
  }

  private Entry entry(String service) {
    return entries.computeIfAbsent(service, s -> new Entry());
  }

  /** What the events told about one service. */
  private static final class Entry {
    boolean inSync;
    DesiredState desired;
    ContainerInfo container;
    ObservedService observed;
    String targetState;
  }
}
