package dev.driftguard.registry;

import dev.driftguard.model.RegistryCredential;
import java.util.Optional;

/**
 * Port: logins for image registries. Implementations cache and refresh credentials; the deployer
 * calls {@link #invalidate} after a 401/403 and retries the pull once.
 */
public interface RegistryAuth {

  /** The credential to pull from {@code registry} (host[:port]); empty for anonymous pulls. */
  Optional<RegistryCredential> credentialFor(String registry);

  /** Drops any cached credential for {@code registry} so the next call fetches a fresh one. */
  void invalidate(String registry);
}
