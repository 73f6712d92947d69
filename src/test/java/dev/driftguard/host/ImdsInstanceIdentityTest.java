package dev.driftguard.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftguard.cli.AwsClients;
import dev.driftguard.testing.RecordingAwsCalls;
import dev.driftguard.testing.aws.AwsFault;
import dev.driftguard.testing.aws.Ec2Service;
import dev.driftguard.testing.aws.ImdsServer;
import dev.driftguard.testing.aws.LocalAws;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.imds.Ec2MetadataClient;
import software.amazon.awssdk.imds.Ec2MetadataRetryPolicy;

/** Through the SDK's IMDSv2 client against {@link LocalAws}'s metadata server of one instance. */
@Timeout(30)
class ImdsInstanceIdentityTest {
  private LocalAws aws;
  private AwsClients clients;
  private RecordingAwsCalls listener;
  private String instanceId;
  private ImdsServer imds;
  private ImdsInstanceIdentity identity;

  @BeforeEach
  void start() {
    aws = LocalAws.builder().start();
    instanceId = Ec2Service.newInstanceId();
    aws.addInstance(instanceId, Map.of("Name", "web_staging", "team", "payments"));
    imds = aws.imds(instanceId);
    clients = aws.newClients(instanceId);
    listener = new RecordingAwsCalls();
    identity = new ImdsInstanceIdentity(clients.imds(), clients::ec2, listener);
  }

  @AfterEach
  void stop() {
    clients.close();
    aws.close();
  }

  @Test
  void identity_comesFromImds_andIsReadOnce() {
    assertThat(identity.instanceId()).isEqualTo(instanceId);
    assertThat(identity.region()).isEqualTo("us-east-1");
    assertThat(identity.availabilityZone()).isEqualTo("us-east-1a");
    assertThat(identity.instanceId()).isEqualTo(instanceId);
    assertThat(identity.region()).isEqualTo("us-east-1");

    assertThat(listener.events())
        .containsExactly(
            "ok imds:instance-id",
            "ok imds:placement/region",
            "ok imds:placement/availability-zone");
  }

  @Test
  void tags_fromMetadataTags_cachedUntilRefreshed() {
    assertThat(identity.tags())
        .containsExactlyInAnyOrderEntriesOf(Map.of("Name", "web_staging", "team", "payments"));
    aws.ec2().putTags(instanceId, Map.of("driftguard:web_staging:phase", "idle"));

    assertThat(identity.tags()).doesNotContainKey("driftguard:web_staging:phase");
    assertThat(identity.refreshTags()).containsEntry("driftguard:web_staging:phase", "idle");
    assertThat(identity.tags()).containsEntry("driftguard:web_staging:phase", "idle");
    assertThat(aws.calls("ec2", "DescribeTags")).isZero();
  }

  @Test
  void tags_withAnEmptyValue_readThroughMetadataTags_areEmptyStrings() {
    // EC2 allows empty tag values, and the agent's own published state clears keys that way;
    // IMDS answers such a key with an empty body.
    aws.ec2()
        .putTags(instanceId, Map.of("Name", "web_staging", "driftguard:web_staging:failed", ""));

    assertThat(identity.refreshTags())
        .containsEntry("Name", "web_staging")
        .containsEntry("driftguard:web_staging:failed", "");
  }

  @Test
  void tags_whenMetadataTagsAreOff_comeFromDescribeTags() {
    imds.instanceMetadataTags(false);

    assertThat(identity.tags())
        .containsExactlyInAnyOrderEntriesOf(Map.of("Name", "web_staging", "team", "payments"));

    assertThat(aws.calls("ec2", "DescribeTags")).isEqualTo(1);
    assertThat(listener.events())
        .containsExactly("ok imds:tags/instance", "ok imds:instance-id", "ok ec2:DescribeTags");
  }

  @Test
  void tags_whenMetadataTagsAreOffAndDescribeTagsIsDenied_saysHowToFixIt() {
    imds.instanceMetadataTags(false);
    aws.failNext(
        "ec2",
        "DescribeTags",
        1,
        AwsFault.badRequest(
            "UnauthorizedOperation", "You are not authorized to perform this operation."));

    assertThatThrownBy(() -> identity.tags())
        .isInstanceOf(InstanceIdentityException.class)
        .hasMessageContaining("cannot read the tags of instance " + instanceId)
        .hasMessageContaining("UnauthorizedOperation (HTTP 400)")
        .hasMessageContaining("grant ec2:DescribeTags");
    assertThat(listener.events()).contains("error ec2:DescribeTags:UnauthorizedOperation");
  }

  @Test
  void terminationNotice_noneWhileInService() {
    assertThat(identity.terminationNotice()).isEmpty();
  }

  @Test
  void terminationNotice_spotInterruption() {
    imds.spotInterruption("terminate", Instant.parse("2026-01-01T00:02:00Z"));

    assertThat(identity.terminationNotice())
        .hasValue("spot interruption (terminate) at 2026-01-01T00:02:00Z");
  }

  @Test
  void terminationNotice_autoScalingTerminated() {
    imds.targetLifecycleState("Terminated");

    assertThat(identity.terminationNotice())
        .hasValue("Auto Scaling target lifecycle state Terminated");
  }

  @Test
  void terminationNotice_warmPoolStateThatComesBack_isNoNotice() {
    imds.targetLifecycleState("Warmed:Stopped");
    assertThat(identity.terminationNotice()).isEmpty();

    imds.targetLifecycleState("Warmed:Terminated");
    assertThat(identity.terminationNotice()).isPresent();
  }

  @Test
  void unreachableImds_failsWithThePathAndAHint() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    try (Ec2MetadataClient dead =
        Ec2MetadataClient.builder()
            .endpoint(URI.create("http://127.0.0.1:" + port))
            .retryPolicy(Ec2MetadataRetryPolicy.none())
            .build()) {
      ImdsInstanceIdentity nowhere = new ImdsInstanceIdentity(dead, clients::ec2, listener);

      assertThatThrownBy(nowhere::instanceId)
          .isInstanceOf(InstanceIdentityException.class)
          .hasMessageContaining("IMDS GET /latest/meta-data/instance-id failed")
          .hasMessageContaining("agent.aws.instanceId");
      assertThat(listener.events())
          .singleElement()
          .asString()
          .startsWith("error imds:instance-id:");
    }
  }

  @Test
  void staticIdentity_isWhatWasConfigured_andNeverTerminates() {
    StaticInstanceIdentity local =
        StaticInstanceIdentity.of("i-local", "eu-west-1", Map.of("Name", "web_dev"));

    assertThat(local.instanceId()).isEqualTo("i-local");
    assertThat(local.region()).isEqualTo("eu-west-1");
    assertThat(local.availabilityZone()).isEqualTo("local");
    assertThat(local.tags()).containsExactly(Map.entry("Name", "web_dev"));
    assertThat(local.terminationNotice()).isEmpty();
    assertThatThrownBy(() -> StaticInstanceIdentity.of(" ", "eu-west-1", Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("instanceId");
  }
}
