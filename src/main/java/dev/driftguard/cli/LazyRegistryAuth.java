package dev.driftguard.cli;

import dev.driftguard.model.RegistryCredential;
import dev.driftguard.registry.RegistryAuth;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Builds the ECR-capable registry auth on first use, so a host that only pulls from registries with
 * a configured login (or anonymously) never needs an AWS region or credentials.
 */
final class LazyRegistryAuth implements RegistryAuth {
  private final Supplier<RegistryAuth> factory;
  private final Set<String> configuredHosts;
  private RegistryAuth delegate;

  LazyRegistryAuth(Supplier<RegistryAuth> factory, Set<String> configuredHosts) {
    this.factory = factory;
    this.configuredHosts = Set.copyOf(configuredHosts);
  }

  @Override
  public Optional<RegistryCredential> credentialFor(String registry) {
    if (!configuredHosts.contains(registry)
        && !dev.driftguard.registry.EcrRegistryAuth.isEcrRegistry(registry)) {
      return Optional.empty();
    }
    return delegate().credentialFor(registry);
  }

  @Override
  public void invalidate(String registry) {
    delegate().invalidate(registry);
  }

  private synchronized RegistryAuth delegate() {
    if (delegate == null) {
      delegate = factory.get();
    }
    return delegate;
  }
}
