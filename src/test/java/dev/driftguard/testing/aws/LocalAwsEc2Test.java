package dev.driftguard.testing.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftguard.cli.AwsClients;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceStateName;
import software.amazon.awssdk.services.ec2.model.Reservation;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.TagDescription;

/** Pins the EC2 instance and tag behaviours of {@link LocalAws} through the real SDK client. */
class LocalAwsEc2Test {
  private static final String WEB1 = "i-0000000000000000a";
  private static final String WEB2 = "i-0000000000000000b";
  private static final String WORKER = "i-0000000c";

  private LocalAws aws;
  private AwsClients clients;
  private Ec2Client ec2;

  @BeforeEach
  void start() {
    aws = LocalAws.builder().start();
    clients = aws.newClients();
    ec2 = clients.ec2();
    aws.addInstance(WEB1, Map.of("Name", "web_staging", "role", "web"));
    aws.addInstance(WEB2, Map.of("Name", "web_staging"));
    aws.addInstance(WORKER, Map.of("Name", "worker_staging"));
  }

  @AfterEach
  void stop() {
    clients.close();
    aws.close();
  }

  @Test
  void describeInstances_byId_hasTheReservationShape() {
    List<Reservation> reservations = ec2.describeInstances(b -> b.instanceIds(WEB1)).reservations();

    assertThat(reservations).hasSize(1);
    assertThat(reservations.get(0).ownerId()).isEqualTo("123456789012");
    Instance instance = reservations.get(0).instances().get(0);
    assertThat(instance.instanceId()).isEqualTo(WEB1);
    assertThat(instance.state().name()).isEqualTo(InstanceStateName.RUNNING);
    assertThat(instance.privateIpAddress()).isEqualTo("127.0.0.1");
    assertThat(instance.placement().availabilityZone()).isEqualTo("us-east-1a");
    assertThat(instance.launchTime()).isNotNull();
    assertThat(instance.tags())
        .extracting(Tag::key, Tag::value)
        .contains(org.assertj.core.groups.Tuple.tuple("Name", "web_staging"));
  }

  @Test
  void describeInstances_filters_byTagTagKeyAndId_withWildcards() {
    assertThat(ids(Filter.builder().name("tag:Name").values("web_staging").build()))
        .containsExactlyInAnyOrder(WEB1, WEB2);
    assertThat(ids(Filter.builder().name("tag:Name").values("*_staging").build())).hasSize(3);
    assertThat(ids(Filter.builder().name("tag-key").values("role").build())).containsExactly(WEB1);
    assertThat(ids(Filter.builder().name("instance-id").values(WORKER, "i-99999999").build()))
        .containsExactly(WORKER);
    assertThat(
            ids(
                Filter.builder().name("tag:Name").values("web_staging").build(),
                Filter.builder().name("tag-key").values("role").build()))
        .containsExactly(WEB1);
  }

  @Test
  void describeInstances_unknownOrMalformedId_isAnError() {
    assertThat(code(() -> ec2.describeInstances(b -> b.instanceIds("i-99999999"))))
        .isEqualTo("InvalidInstanceID.NotFound");
    assertThat(code(() -> ec2.describeInstances(b -> b.instanceIds("web1"))))
        .isEqualTo("InvalidInstanceID.Malformed");
    assertThat(
            code(
                () ->
                    ec2.describeInstances(
                        b -> b.filters(Filter.builder().name("bogus").values("x").build()))))
        .isEqualTo("InvalidParameterValue");
  }

  @Test
  void createTags_roundTrip_throughDescribeTags() {
    ec2.createTags(
        b ->
            b.resources(WEB1)
                .tags(
                    Tag.builder().key("driftguard:digest").value("sha256:ab").build(),
                    Tag.builder().key("driftguard:phase").value("").build()));

    List<TagDescription> tags =
        ec2.describeTags(
                b ->
                    b.filters(
                        Filter.builder().name("resource-id").values(WEB1).build(),
                        Filter.builder().name("key").values("driftguard:*").build()))
            .tags();

    assertThat(tags)
        .extracting(TagDescription::key, TagDescription::value)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("driftguard:digest", "sha256:ab"),
            org.assertj.core.groups.Tuple.tuple("driftguard:phase", ""));
    assertThat(tags.get(0).resourceType()).isEqualTo(ResourceType.INSTANCE);
    assertThat(tags.get(0).resourceId()).isEqualTo(WEB1);
    assertThat(aws.ec2().tags(WEB1)).containsEntry("driftguard:digest", "sha256:ab");
    assertThat(
            ec2.describeTags(
                    b ->
                        b.filters(
                            Filter.builder().name("key").values("Name").build(),
                            Filter.builder().name("value").values("web_staging").build(),
                            Filter.builder().name("resource-type").values("instance").build()))
                .tags())
        .extracting(TagDescription::resourceId)
        .containsExactly(WEB1, WEB2);
  }

  @Test
  void createTags_overwritesValues_andOnUnknownInstanceChangesNothing() {
    ec2.createTags(b -> b.resources(WEB1).tags(Tag.builder().key("role").value("api").build()));
    assertThat(aws.ec2().tags(WEB1)).containsEntry("role", "api");

    assertThat(
            code(
                () ->
                    ec2.createTags(
                        b ->
                            b.resources(WEB1, "i-99999999")
                                .tags(Tag.builder().key("x").value("1").build()))))
        .isEqualTo("InvalidInstanceID.NotFound");
    assertThat(aws.ec2().tags(WEB1)).doesNotContainKey("x");
  }

  @Test
  void deleteTags_byKey_byMatchingValue_andAll() {
    ec2.deleteTags(b -> b.resources(WEB1).tags(Tag.builder().key("role").value("db").build()));
    assertThat(aws.ec2().tags(WEB1)).containsKey("role");

    ec2.deleteTags(b -> b.resources(WEB1).tags(Tag.builder().key("role").value("web").build()));
    assertThat(aws.ec2().tags(WEB1)).doesNotContainKey("role");

    ec2.deleteTags(b -> b.resources(WEB1).tags(Tag.builder().key("Name").build()));
    assertThat(aws.ec2().tags(WEB1)).isEmpty();

    ec2.deleteTags(b -> b.resources(WEB2));
    assertThat(aws.ec2().tags(WEB2)).isEmpty();
    assertThat(code(() -> ec2.deleteTags(b -> b.resources("i-99999999"))))
        .isEqualTo("InvalidInstanceID.NotFound");
  }

  @Test
  void tagLimits_areEnforced() {
    Map<String, String> many = new LinkedHashMap<>();
    for (int i = 0; i < 48; i++) {
      many.put("k" + i, "v");
    }
    aws.ec2().putTags(WORKER, many);
    assertThat(aws.ec2().tags(WORKER)).hasSize(49);
    ec2.createTags(b -> b.resources(WORKER).tags(Tag.builder().key("k49").value("v").build()));

    assertThat(
            code(
                () ->
                    ec2.createTags(
                        b ->
                            b.resources(WORKER).tags(Tag.builder().key("k50").value("v").build()))))
        .isEqualTo("TagLimitExceeded");
    // Overwriting an existing key at the limit is fine.
    ec2.createTags(b -> b.resources(WORKER).tags(Tag.builder().key("k0").value("w").build()));
    assertThat(
            code(
                () ->
                    ec2.createTags(
                        b ->
                            b.resources(WEB1)
                                .tags(Tag.builder().key("k".repeat(129)).value("v").build()))))
        .isEqualTo("InvalidParameterValue");
    assertThat(
            code(
                () ->
                    ec2.createTags(
                        b ->
                            b.resources(WEB1)
                                .tags(Tag.builder().key("k").value("v".repeat(257)).build()))))
        .isEqualTo("InvalidParameterValue");
    assertThat(
            code(
                () ->
                    ec2.createTags(
                        b ->
                            b.resources(WEB1)
                                .tags(Tag.builder().key("aws:secret").value("v").build()))))
        .isEqualTo("InvalidParameterValue");
    ec2.createTags(
        b ->
            b.resources(WEB1)
                .tags(Tag.builder().key("k".repeat(128)).value("v".repeat(256)).build()));
  }

  private List<String> ids(Filter... filters) {
    return ec2.describeInstances(b -> b.filters(filters)).reservations().stream()
        .flatMap(r -> r.instances().stream())
        .map(Instance::instanceId)
        .toList();
  }

  private static String code(Runnable call) {
    try {
      call.run();
    } catch (Ec2Exception e) {
      assertThat(e.statusCode()).isEqualTo(400);
      return e.awsErrorDetails().errorCode();
    }
    throw new AssertionError("expected an EC2 error");
  }

  @Test
  void unknownAction_isInvalidAction() {
    assertThatThrownBy(() -> clients.ec2().describeRegions())
        .isInstanceOfSatisfying(
            Ec2Exception.class,
            e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("InvalidAction"));
  }
}
