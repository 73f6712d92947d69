package dev.driftguard.desired;

import dev.driftguard.aws.AwsErrors;
import dev.driftguard.model.AwsCallListener;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.GetParametersResponse;
import software.amazon.awssdk.services.ssm.model.Parameter;

/**
 * Reads desired-state records from SSM Parameter Store with {@code GetParameters}, 10 names per
 * call (AWS's limit), so a host with many services stays within the account's shared SSM throughput
 * (DESIGN 4, API budget). Names AWS reports in {@code InvalidParameters} do not exist and are
 * absent from the result.
 *
 * <p>Any failed batch fails the whole read: a partial answer would make the missing services look
 * unpinned. Throttling that outlasts the SDK's retries becomes a {@link
 * DesiredStateUnavailableException} with {@code throttled=true} so the loop backs off further.
 */
public final class SsmDesiredStateSource implements DesiredStateSource {
  /** GetParameters accepts at most 10 names per call. */
  static final int BATCH_SIZE = 10;

  private static final String OPERATION = "GetParameters";

  private final SsmClient ssm;
  private final AwsCallListener listener;

  public SsmDesiredStateSource(SsmClient ssm, AwsCallListener listener) {
    this.ssm = Objects.requireNonNull(ssm, "ssm");
    this.listener = Objects.requireNonNull(listener, "listener");
  }

  @Override
  public Map<String, RawRecord> read(Collection<String> locations) {
    List<String> names = new ArrayList<>(new LinkedHashSet<>(locations));
    Map<String, RawRecord> records = new HashMap<>();
    for (int from = 0; from < names.size(); from += BATCH_SIZE) {
      List<String> batch = names.subList(from, Math.min(from + BATCH_SIZE, names.size()));
      GetParametersResponse response;
      try {
        // Desired records are String parameters; decryption is never needed (nor allowed by
        // the IAM policy the packages ship).
        response = ssm.getParameters(b -> b.names(batch).withDecryption(false));
      } catch (SdkException e) {
        String code = AwsErrors.code(e);
        listener.onError("ssm", OPERATION, code);
        throw new DesiredStateUnavailableException(
            AwsErrors.failed("SSM", OPERATION, e), AwsErrors.throttled(e), e);
      }
      listener.onSuccess("ssm", OPERATION);
      for (Parameter p : response.parameters()) {
        records.put(p.name(), new RawRecord(p.value(), p.version() == null ? 0 : p.version()));
      }
    }
    return Map.copyOf(records);
  }
}
