package dev.driftguard.operator;

import java.net.URI;
import java.util.Map;
import java.util.function.Supplier;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ecr.EcrClient;
import software.amazon.awssdk.services.ssm.SsmClient;

/**
 * Builds the AWS SDK clients of one region. The composition root ({@code cli.Main}) hands one in
 * built on {@code cli.AwsClients}, so operator commands get the agent's timeouts, retry mode and
 * HTTP client without this package importing {@code cli}; the region, endpoints and credentials
 * come from the command line and configuration ({@link OperatorAws}).
 */
@FunctionalInterface
public interface AwsAccess {

  /**
   * @param endpoints overrides keyed {@code ssm}, {@code ecr}, {@code ec2} ({@code
   *     agent.aws.endpoints}); empty for AWS's own
   * @param credentials the credentials, or null for the SDK's default chain
   */
  Clients open(Region region, Map<String, URI> endpoints, AwsCredentialsProvider credentials);

  /** The clients of one region, built on first use; closing closes them all. */
  interface Clients extends AutoCloseable {
    SsmClient ssm();

    EcrClient ecr();

    Ec2Client ec2();

    @Override
    void close();

    /** Clients from suppliers, e.g. the methods of the composition root's {@code AwsClients}. */
    static Clients of(
        Supplier<SsmClient> ssm, Supplier<EcrClient> ecr, Supplier<Ec2Client> ec2, Runnable close) {
      return new Clients() {
        @Override
        public SsmClient ssm() {
          return ssm.get();
        }

        @Override
        public EcrClient ecr() {
          return ecr.get();
        }

        @Override
        public Ec2Client ec2() {
          return ec2.get();
        }

        @Override
        public void close() {
          close.run();
        }
      };
    }
  }
}
