package dev.driftguard.model;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A container fully rendered: image, settings and the environment with secrets resolved. {@code
 * specHash} identifies the settings (not the image) as configured: a change of any setting is
 * drift. Secrets count by their SSM parameter names, not their values, so the hash can be computed
 * every pass without decrypting anything (a rotated secret is picked up by the next deploy). {@link
 * #toString()} never shows environment values.
 */
public record RunSpec(
    String service,
    ImageRef image,
    ContainerSpec container,
    Map<String, String> environment,
    String specHash) {

  public RunSpec {
    environment = Map.copyOf(environment);
  }

  /**
   * Renders a service's container for {@code image}; {@code secrets} are resolved envFromSsm
   * values.
   */
  public static RunSpec render(ServiceSpec service, ImageRef image, Map<String, String> secrets) {
    Map<String, String> env = new TreeMap<>(service.container().env());
    env.putAll(secrets);
    return new RunSpec(
        service.name(), image, service.container(), env, specHashOf(service.container()));
  }

  /** The same spec published on other ports (start-first); the spec hash is unchanged. */
  public RunSpec withPorts(List<PortBinding> ports) {
    ContainerSpec c = container;
    return new RunSpec(
        service,
        image,
        new ContainerSpec(
            ports,
            c.env(),
            c.envFromSsm(),
            c.volumes(),
            c.command(),
            c.stopSignal(),
            c.stopTimeout(),
            c.memoryBytes()),
        environment,
        specHash);
  }

  /**
   * The one-time task of a rollout ({@code rollout.runOnce}): the same image, environment and
   * volumes, {@code command} instead of the service's own, and no published ports, so it runs
   * beside the serving container without a clash.
   */
  public RunSpec oneTimeTask(List<String> command) {
    ContainerSpec c = container;
    return new RunSpec(
        ONE_TIME_TASK_PREFIX + service,
        image,
        new ContainerSpec(
            List.of(),
            c.env(),
            c.envFromSsm(),
            c.volumes(),
            command,
            c.stopSignal(),
            c.stopTimeout(),
            c.memoryBytes()),
        environment,
        specHash);
  }

  /**
   * What {@link #service} of a one-time task starts with: such a container runs to its end and is
   * never restarted by the engine (a migration must not run twice).
   */
  public static final String ONE_TIME_TASK_PREFIX = "once:";

  /** Whether this spec is a rollout's one-time task ({@link #oneTimeTask}). */
  public boolean oneTime() {
    return service.startsWith(ONE_TIME_TASK_PREFIX);
  }

  /** The labels every container the agent creates carries. */
  public Map<String, String> labels() {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(Labels.SERVICE, service);
    labels.put(Labels.DIGEST, image.digest().value());
    labels.put(Labels.SPEC_HASH, specHash);
    labels.put(Labels.IMAGE, image.pinned());
    if (!container.ports().isEmpty()) {
      labels.put(Labels.HOST_PORT, Integer.toString(container.ports().get(0).hostPort()));
    }
    return labels;
  }

  /** The hash that containers created for these settings carry in {@link Labels#SPEC_HASH}. */
  public static String specHashOf(ContainerSpec c) {
    StringBuilder canonical = new StringBuilder();
    canonical.append("ports=").append(c.ports()).append('\n');
    new TreeMap<>(c.env())
        .forEach((k, v) -> canonical.append("env:").append(k).append('=').append(v).append('\n'));
    new TreeMap<>(c.envFromSsm())
        .forEach(
            (k, v) -> canonical.append("secret:").append(k).append('=').append(v).append('\n'));
    canonical.append("volumes=").append(c.volumes()).append('\n');
    canonical.append("command=").append(c.command()).append('\n');
    canonical.append("stopSignal=").append(c.stopSignal()).append('\n');
    canonical.append("stopTimeout=").append(c.stopTimeout()).append('\n');
    canonical.append("memory=").append(c.memoryBytes()).append('\n');
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256")
              .digest(canonical.toString().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  @Override
  public String toString() {
    return "RunSpec[service="
        + service
        + ", image="
        + image
        + ", specHash="
        + specHash
        + ", env="
        + environment.keySet()
        + "]";
  }
}
