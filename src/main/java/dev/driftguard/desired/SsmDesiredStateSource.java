package dev.driftguard.desired;

import dev.driftguard.model.AwsCallListener;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.Parameter;

/**
 * Reads desired-state records from SSM Parameter Store with {@code GetParameters}, 10 names per
 * call ({@link SsmParameters}), so a host with many services stays within the account's shared SSM
 * throughput (DESIGN 4, API budget). Names AWS reports in {@code InvalidParameters} do not exist
 * and are absent from the result.
 *
 * <p>Any failed batch fails the whole read: a partial answer would make the missing services look
 * unpinned. Throttling that outlasts the SDK's retries becomes a {@link
 * DesiredStateUnavailableException} with {@code throttled=true} so the loop backs off further.
 */
public final class SsmDesiredStateSource implements DesiredStateSource {
  private final SsmParameters parameters;

  public SsmDesiredStateSource(SsmClient ssm, AwsCallListener listener) {
    this.parameters = new SsmParameters(ssm, listener);
  }

  @Override
  public Map<String, RawRecord> read(Collection<String> locations) {
    // Desired records are String parameters; decryption is never needed (nor allowed by the IAM
    // policy the packages ship).
    SsmParameters.Found found =
        parameters.get(
            locations,
            false,
            (message, throttled, e, batch) ->
                new DesiredStateUnavailableException(message, throttled, e));
    Map<String, RawRecord> records = new HashMap<>();
    for (Parameter p : found.parameters()) {
      records.put(p.name(), new RawRecord(p.value(), p.version() == null ? 0 : p.version()));
    }
    return Map.copyOf(records);
  }
}
