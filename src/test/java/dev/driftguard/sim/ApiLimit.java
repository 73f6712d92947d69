package dev.driftguard.sim;

/**
 * One account-level API bucket: which calls share it, its size and refill rate, and where the
 * numbers come from (docs/design/fleet-at-scale.md lists the pages).
 *
 * @param name e.g. {@code ssm}, {@code elbv2-describe}
 * @param capacity tokens the bucket holds
 * @param refillPerSecond tokens added back each second
 */
public record ApiLimit(String name, double capacity, double refillPerSecond) {

  /** Parameter Store's default throughput, shared by GetParameter, GetParameters, PutParameter. */
  public static final ApiLimit SSM = new ApiLimit("ssm", 40, 40);

  /** ELBv2's non-mutating (Describe*) bucket. */
  public static final ApiLimit ELBV2_DESCRIBE = new ApiLimit("elbv2-describe", 40, 10);

  /**
   * ELBv2's RegisterTargets and DeregisterTargets read as one bucket each: this model's earlier
   * reading, without a source; kept to compare ({@code fleet-sim -- --elb-registration separate}).
   */
  public static final ApiLimit ELBV2_REGISTER = new ApiLimit("elbv2-register", 20, 4);

  public static final ApiLimit ELBV2_DEREGISTER = new ApiLimit("elbv2-deregister", 20, 4);

  /**
   * ELBv2's RegisterTargets and DeregisterTargets read as one shared bucket: how AWS's own Load
   * Balancer Controller limits itself ({@code ^RegisterTargets|^DeregisterTargets}, 4/s, burst 20,
   * one limiter for both).
   */
  public static final ApiLimit ELBV2_REGISTRATION = new ApiLimit("elbv2-registration", 20, 4);

  /** EC2's non-mutating actions (DescribeTags with filters). */
  public static final ApiLimit EC2_DESCRIBE = new ApiLimit("ec2-describe", 100, 20);

  /** EC2's mutating actions (CreateTags, DeleteTags). */
  public static final ApiLimit EC2_MUTATE = new ApiLimit("ec2-mutate", 200, 5);

  /**
   * DynamoDB on demand, per partition (one lease pool is one partition key): 3,000 read and 1,000
   * write request units a second. The table's own on-demand maximum (40,000 each) is never near.
   */
  public static final ApiLimit DYNAMODB_READ = new ApiLimit("dynamodb-read", 3000, 3000);

  public static final ApiLimit DYNAMODB_WRITE = new ApiLimit("dynamodb-write", 1000, 1000);

  TokenBucket bucket() {
    return new TokenBucket(capacity, refillPerSecond);
  }
}
