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
 * A container fully rendered: image, settings and the environment with secrets resolved.
 * {@code specHash} identifies the rendered settings (not the image): a change of any setting,
 * secret values included, is drift. {@link #toString()} never shows environment values.
 */
public record RunSpec(
    String service, ImageRef image, ContainerSpec container, Map<String, String> environment, String specHash) {

  public RunSpec {
    environment = Map.copyOf(environment);
  }

  /** Renders a service's container for {@code image}; {@code secrets} are resolved envFromSsm values. */
  public static RunSpec render(ServiceSpec service, ImageRef image, Map<String, String> secrets) {
    Map<String, String> env = new TreeMap<>(service.container().env());
    env.putAll(secrets);
    return new RunSpec(service.name(), image, service.container(), env, hash(service.container(), env));
  }

  /** The same spec published on other ports (start-first); the spec hash is unchanged. */
  public RunSpec withPorts(List<PortBinding> ports) {
    ContainerSpec c = container;
    return new RunSpec(
        service,
        image,
        new ContainerSpec(ports, c.env(), c.envFromSsm(), c.volumes(), c.command(), c.stopSignal(), c.stopTimeout(), c.memoryBytes()),
        environment,
        specHash);
  }

  /** The labels every container the agent creates carries. */
  public Map<String, String> labels() {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(Labels.SERVICE, service);
    labels.put(Labels.DIGEST, image.digest().value());
    labels.put(Labels.SPEC_HASH, specHash);
    labels.put(Labels.IMAGE, image.pinned());
    return labels;
  }

  private static String hash(ContainerSpec c, Map<String, String> env) {
    StringBuilder canonical = new StringBuilder();
    canonical.append("ports=").append(c.ports()).append('\n');
    new TreeMap<>(env).forEach((k, v) -> canonical.append("env:").append(k).append('=').append(v).append('\n'));
    canonical.append("volumes=").append(c.volumes()).append('\n');
    canonical.append("command=").append(c.command()).append('\n');
    canonical.append("stopSignal=").append(c.stopSignal()).append('\n');
    canonical.append("stopTimeout=").append(c.stopTimeout()).append('\n');
    canonical.append("memory=").append(c.memoryBytes()).append('\n');
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(canonical.toString().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  @Override
  public String toString() {
    return "RunSpec[service=" + service + ", image=" + image + ", specHash=" + specHash + ", env=" + environment.keySet() + "]";
  }
}
