package dev.driftguard.desired;

import java.util.Collection;
import java.util.Map;

/**
 * Port: resolves secret values (e.g. a service's {@code envFromSsm}) by parameter name.
 *
 * <p>Values are secrets: implementations never put one into a log line, an exception message or a
 * {@code toString()}; the returned map's {@code toString()} shows names only.
 */
public interface SecretSource {

  /**
   * Resolves every name, or fails.
   *
   * @return the value of each requested name (all of them; never a partial map)
   * @throws SecretUnavailableException when a name does not exist or the backend cannot be read;
   *     the exception names the parameters, never a value
   */
  Map<String, String> resolve(Collection<String> parameterNames);
}
