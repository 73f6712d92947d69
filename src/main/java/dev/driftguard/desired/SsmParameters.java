package dev.driftguard.desired;

import dev.driftguard.aws.AwsErrors;
import dev.driftguard.model.AwsCallListener;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.GetParametersResponse;
import software.amazon.awssdk.services.ssm.model.Parameter;

/**
 * Reads SSM parameters with {@code GetParameters}, 10 names per call (AWS's limit), reporting each
 * call to the {@link AwsCallListener}: the desired-state records and the secrets are read the same
 * way, against the same account-wide SSM throughput (DESIGN 4, API budget), and differ only in
 * decryption and in what a failure means to their callers.
 */
final class SsmParameters {
  /** GetParameters accepts at most 10 names per call. */
  static final int BATCH_SIZE = 10;

  static final String OPERATION = "GetParameters";

  /** The parameters found, and the names AWS reported in {@code InvalidParameters} (absent). */
  record Found(List<Parameter> parameters, List<String> invalid) {}

  /** Makes the caller's exception for a failed batch, worded and judged here the same for both. */
  @FunctionalInterface
  interface Failure {
    /**
     * @param message what failed and what AWS said ({@link AwsErrors#failed})
     * @param throttled whether AWS throttled the call
     * @param batch the names that batch asked for
     */
    RuntimeException of(String message, boolean throttled, SdkException cause, List<String> batch);
  }

  private final SsmClient ssm;
  private final AwsCallListener listener;

  SsmParameters(SsmClient ssm, AwsCallListener listener) {
    this.ssm = Objects.requireNonNull(ssm, "ssm");
    this.listener = Objects.requireNonNull(listener, "listener");
  }

  /**
   * Reads {@code names} (duplicates once), with or without decryption. Any failed batch fails the
   * whole read with the exception {@code failure} makes.
   */
  Found get(Collection<String> names, boolean decrypt, Failure failure) {
    List<String> unique = new ArrayList<>(new LinkedHashSet<>(names));
    List<Parameter> parameters = new ArrayList<>();
    List<String> invalid = new ArrayList<>();
    for (int from = 0; from < unique.size(); from += BATCH_SIZE) {
      List<String> batch = unique.subList(from, Math.min(from + BATCH_SIZE, unique.size()));
      GetParametersResponse response;
      try {
        response = ssm.getParameters(b -> b.names(batch).withDecryption(decrypt));
      } catch (SdkException e) {
        listener.onError("ssm", OPERATION, AwsErrors.code(e));
        throw failure.of(AwsErrors.failed("SSM", OPERATION, e), AwsErrors.throttled(e), e, batch);
      }
      listener.onSuccess("ssm", OPERATION);
      parameters.addAll(response.parameters());
      invalid.addAll(response.invalidParameters());
    }
    return new Found(List.copyOf(parameters), List.copyOf(invalid));
  }
}
