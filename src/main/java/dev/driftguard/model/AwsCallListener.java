package dev.driftguard.model;

/**
 * Hears the outcome of every AWS API call an adapter makes (after the SDK's own retries), so the
 * metrics can count AWS API errors by service, operation and error code without the adapters
 * knowing about metrics. Lives in {@code model} because adapters in different packages (desired,
 * registry, traffic, fleet, host) share it and must not import each other.
 *
 * <p>Implementations must be fast and thread-safe, and must not throw.
 */
public interface AwsCallListener {

  /** Ignores everything; for tests and tools that keep no metrics. */
  AwsCallListener NONE =
      new AwsCallListener() {
        @Override
        public void onSuccess(String service, String operation) {}

        @Override
        public void onError(String service, String operation, String code) {}
      };

  /**
   * @param service the endpoint key of the service: {@code ssm}, {@code ecr}, {@code ec2}, {@code
   *     elbv2} or {@code imds}
   * @param operation the API operation, e.g. {@code GetParameters}
   */
  void onSuccess(String service, String operation);

  /**
   * @param code the AWS error code (e.g. {@code ThrottlingException}, {@code
   *     AccessDeniedException}) or, for failures that never reached AWS, the SDK exception's simple
   *     class name (e.g. {@code ApiCallTimeoutException}, {@code SdkClientException})
   */
  void onError(String service, String operation, String code);

  /**
   * One attempt of a call was throttled by AWS, whether or not the SDK's retries then got through:
   * the account-wide limits are spent by attempts, not by calls.
   */
  default void onThrottled(String service, String operation) {}
}
