package dev.driftguard.testing.aws;

/**
 * One AWS service of {@link LocalAws}: recognises its requests, names their operation, answers
 * them, and renders errors in its protocol's shape. One class per service (SSM and ECR speak JSON
 * 1.1 through {@link JsonService}; EC2 and ELBv2 will speak the query protocol with XML answers;
 * IMDS is plain HTTP paths).
 */
public interface AwsService {

  /** The endpoint key ({@code ssm}, {@code ecr}, {@code ec2}, {@code elbv2}, {@code imds}). */
  String key();

  /** True when {@code request} is addressed to this service. */
  boolean accepts(AwsRequest request);

  /** True when AWS would reject the request without a SigV4 {@code Authorization} header. */
  default boolean requiresSignature() {
    return true;
  }

  /**
   * The operation {@code request} calls, used for call counts and injected faults.
   *
   * @throws AwsFault when the request names no operation this service knows
   */
  String operation(AwsRequest request);

  /** Answers {@code request}; throws {@link AwsFault} for AWS errors. */
  AwsReply handle(String operation, AwsRequest request);

  /** Renders an AWS error in this service's protocol. */
  AwsReply error(AwsFault fault);
}
