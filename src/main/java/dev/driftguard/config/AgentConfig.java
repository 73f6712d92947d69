package dev.driftguard.config;

import dev.driftguard.model.ServiceSpec;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The whole host configuration, validated: how the agent runs and the services it converges (in
 * file order; names unique, host ports not shared). Built by {@link ConfigLoader}.
 *
 * <p>A service whose desired state is a local file may have an empty {@code allowedRegistries}:
 * local mode then accepts any registry. SSM services always name at least one registry.
 */
public record AgentConfig(AgentSettings agent, List<ServiceSpec> services) {

  public AgentConfig {
    Objects.requireNonNull(agent, "agent");
    services = List.copyOf(services);
  }

  /** The service called {@code name}, if configured. */
  public Optional<ServiceSpec> service(String name) {
    return services.stream().filter(s -> s.name().equals(name)).findFirst();
  }
}
