package dev.driftguard.desired;

import dev.driftguard.model.AwsCallListener;
import java.util.AbstractMap;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.Parameter;

/**
 * Resolves SecureString (or String) parameters with {@code GetParameters WithDecryption=true}, 10
 * names per call ({@link SsmParameters}). The SDK already redacts values in its own {@code
 * toString()}s; this class keeps them out of messages and returns a map whose {@code toString()}
 * shows names only.
 */
public final class SsmSecretSource implements SecretSource {
  private final SsmParameters parameters;

  public SsmSecretSource(SsmClient ssm, AwsCallListener listener) {
    this.parameters = new SsmParameters(ssm, listener);
  }

  @Override
  public Map<String, String> resolve(Collection<String> parameterNames) {
    SsmParameters.Found found =
        parameters.get(
            parameterNames,
            true,
            (message, throttled, e, batch) ->
                new SecretUnavailableException(
                    message + " (resolving secrets " + batch + ")", List.of(), throttled, e));
    if (!found.invalid().isEmpty()) {
      throw new SecretUnavailableException(
          "SSM parameter(s) "
              + found.invalid()
              + " do not exist or are not visible to this host's IAM role; create them with"
              + " aws ssm put-parameter --type SecureString",
          found.invalid(),
          false,
          null);
    }
    Map<String, String> values = new LinkedHashMap<>();
    for (Parameter p : found.parameters()) {
      values.put(p.name(), p.value());
    }
    return new Secrets(values);
  }

  /** An unmodifiable map that never prints its values. */
  private static final class Secrets extends AbstractMap<String, String> {
    private final Map<String, String> values;

    Secrets(Map<String, String> values) {
      this.values = Map.copyOf(values);
    }

    @Override
    public Set<Entry<String, String>> entrySet() {
      return values.entrySet();
    }

    @Override
    public String get(Object key) {
      return values.get(key);
    }

    @Override
    public String toString() {
      return values.keySet().stream()
          .sorted()
          .map(k -> k + "=<redacted>")
          .collect(Collectors.joining(", ", "{", "}"));
    }
  }
}
