package dev.driftguard.desired;

import dev.driftguard.aws.AwsErrors;
import dev.driftguard.model.AwsCallListener;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.GetParametersResponse;
import software.amazon.awssdk.services.ssm.model.Parameter;

/**
 * Resolves SecureString (or String) parameters with {@code GetParameters WithDecryption=true}, 10
 * names per call. The SDK already redacts values in its own {@code toString()}s; this class keeps
 * them out of messages and returns a map whose {@code toString()} shows names only.
 */
public final class SsmSecretSource implements SecretSource {
  private static final String OPERATION = "GetParameters";

  private final SsmClient ssm;
  private final AwsCallListener listener;

  public SsmSecretSource(SsmClient ssm, AwsCallListener listener) {
    this.ssm = Objects.requireNonNull(ssm, "ssm");
    this.listener = Objects.requireNonNull(listener, "listener");
  }

  @Override
  public Map<String, String> resolve(Collection<String> parameterNames) {
    List<String> names = new ArrayList<>(new LinkedHashSet<>(parameterNames));
    Map<String, String> values = new LinkedHashMap<>();
    List<String> missing = new ArrayList<>();
    for (int from = 0; from < names.size(); from += SsmDesiredStateSource.BATCH_SIZE) {
      List<String> batch =
          names.subList(from, Math.min(from + SsmDesiredStateSource.BATCH_SIZE, names.size()));
      GetParametersResponse response;
      try {
        response = ssm.getParameters(b -> b.names(batch).withDecryption(true));
      } catch (SdkException e) {
        listener.onError("ssm", OPERATION, AwsErrors.code(e));
        throw new SecretUnavailableException(
            AwsErrors.failed("SSM", OPERATION, e) + " (resolving secrets " + batch + ")",
            List.of(),
            AwsErrors.throttled(e),
            e);
      }
      listener.onSuccess("ssm", OPERATION);
      for (Parameter p : response.parameters()) {
        values.put(p.name(), p.value());
      }
      missing.addAll(response.invalidParameters());
    }
    if (!missing.isEmpty()) {
      throw new SecretUnavailableException(
          "SSM parameter(s) "
              + missing
              + " do not exist or are not visible to this host's IAM role; create them with"
              + " aws ssm put-parameter --type SecureString",
          missing,
          false,
          null);
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
