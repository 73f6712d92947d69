package dev.driftguard.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftguard.cli.AwsClients;
import dev.driftguard.model.AwsCallListener;
import dev.driftguard.model.RegistryCredential;
import dev.driftguard.testing.FakeTime;
import dev.driftguard.testing.aws.AwsFault;
import dev.driftguard.testing.aws.LocalAws;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Through the real ECR client against {@link LocalAws}, both on one fake clock. */
class EcrRegistryAuthTest {
  private static final String ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
  private static final Instant START = Instant.parse("2030-01-01T00:00:00Z");

  @TempDir Path dir;
  private final FakeTime time = new FakeTime(START);
  private final List<String> events = new ArrayList<>();
  private LocalAws aws;
  private AwsClients clients;
  private EcrRegistryAuth auth;

  @BeforeEach
  void start() {
    aws = LocalAws.builder().registryPassword("s3cret-registry-pw").clock(time).start();
    clients = aws.newClients();
    auth = auth(Map.of());
  }

  @AfterEach
  void stop() {
    clients.close();
    aws.close();
  }

  private EcrRegistryAuth auth(Map<String, StaticRegistryLogin> logins) {
    AwsCallListener listener =
        new AwsCallListener() {
          @Override
          public void onSuccess(String service, String operation) {
            events.add("ok " + service + ":" + operation);
          }

          @Override
          public void onError(String service, String operation, String code) {
            events.add("error " + service + ":" + operation + ":" + code);
          }
        };
    return new EcrRegistryAuth(
        clients::ecr, logins, EcrRegistryAuth.DEFAULT_REFRESH_MARGIN, time, listener);
  }

  @Test
  void credentialFor_ecr_isTheDecodedTokenWithItsExpiry() {
    RegistryCredential credential = auth.credentialFor(ECR).orElseThrow();

    assertThat(credential.registry()).isEqualTo(ECR);
    assertThat(credential.username()).isEqualTo("AWS");
    assertThat(credential.password()).isEqualTo("s3cret-registry-pw");
    assertThat(credential.expiresAt()).isEqualTo(START.plus(Duration.ofHours(12)));
    assertThat(credential.toString()).doesNotContain("s3cret");
    assertThat(events).containsExactly("ok ecr:GetAuthorizationToken");
  }

  @Test
  void credentialFor_ecr_isCachedUntilTheRefreshMargin() {
    auth.credentialFor(ECR);
    time.advance(Duration.ofHours(10).plusMinutes(59));
    auth.credentialFor(ECR);

    assertThat(aws.calls("ecr", "GetAuthorizationToken")).isEqualTo(1);

    time.advance(Duration.ofMinutes(1)); // 11 h: one hour (the margin) left
    RegistryCredential refreshed = auth.credentialFor(ECR).orElseThrow();

    assertThat(aws.calls("ecr", "GetAuthorizationToken")).isEqualTo(2);
    assertThat(refreshed.expiresAt()).isEqualTo(START.plus(Duration.ofHours(23)));
    assertThat(auth.tokenExpiry()).contains(START.plus(Duration.ofHours(23)));
  }

  @Test
  void invalidate_dropsTheToken_soTheNextCallFetches() {
    assertThat(auth.tokenExpiry()).isEmpty();
    auth.credentialFor(ECR);
    assertThat(auth.tokenExpiry()).contains(START.plus(Duration.ofHours(12)));

    auth.invalidate(ECR);

    assertThat(auth.tokenExpiry()).isEmpty();
    auth.credentialFor(ECR);
    assertThat(aws.calls("ecr", "GetAuthorizationToken")).isEqualTo(2);
  }

  @Test
  void credentialFor_ecrFailure_throwsWithTheCode_andCachesNothing() {
    aws.failNext(
        "ecr",
        "GetAuthorizationToken",
        1,
        AwsFault.badRequest(
            "AccessDeniedException", "not authorized to perform: ecr:GetAuthorizationToken"));

    assertThatThrownBy(() -> auth.credentialFor(ECR))
        .isInstanceOfSatisfying(
            RegistryAuthException.class,
            e -> {
              assertThat(e.registry()).isEqualTo(ECR);
              assertThat(e.throttled()).isFalse();
            })
        .hasMessageContaining("GetAuthorizationToken in us-east-1")
        .hasMessageContaining("AccessDeniedException");
    assertThat(auth.tokenExpiry()).isEmpty();
    assertThat(events).containsExactly("error ecr:GetAuthorizationToken:AccessDeniedException");
    assertThat(auth.credentialFor(ECR)).isPresent();
  }

  @Test
  void credentialFor_registryOfAnotherRegion_getsTheTokenFromThatRegionsEcr() {
    String ireland = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
    aws.ecr().registryPassword("eu-west-1", "eu-west-1-password");

    RegistryCredential credential = auth.credentialFor(ireland).orElseThrow();

    assertThat(credential.registry()).isEqualTo(ireland);
    assertThat(credential.password()).isEqualTo("eu-west-1-password");
    assertThat(aws.ecr().tokenRegions()).containsExactly("eu-west-1");

    assertThat(auth.credentialFor(ECR).orElseThrow().password()).isEqualTo("s3cret-registry-pw");
    assertThat(aws.ecr().tokenRegions()).containsExactly("eu-west-1", "us-east-1");
  }

  @Test
  void credentialFor_chinaRegistry_asksTheChinaRegion() {
    auth.credentialFor("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn");

    assertThat(aws.ecr().tokenRegions()).containsExactly("cn-north-1");
  }

  @Test
  void credentialFor_isCachedPerRegistryHost() {
    String accountA = "111111111111.dkr.ecr.eu-west-1.amazonaws.com";
    String accountB = "222222222222.dkr.ecr.eu-west-1.amazonaws.com";
    auth.credentialFor(accountA);
    auth.credentialFor(accountA);
    auth.credentialFor(accountB);
    auth.credentialFor(ECR);
    auth.credentialFor(accountB);

    assertThat(aws.ecr().tokenRegions()).containsExactly("eu-west-1", "eu-west-1", "us-east-1");

    auth.invalidate(accountA);
    auth.credentialFor(accountB);
    auth.credentialFor(accountA);
    assertThat(aws.ecr().tokenRegions()).hasSize(4).last().isEqualTo("eu-west-1");
  }

  @Test
  void awsClients_ecr_isOneClientPerRegion_builtOnFirstUseAndReused() {
    assertThat(clients.ecr("us-east-1")).isSameAs(clients.ecr());
    assertThat(clients.ecr("eu-west-1"))
        .isSameAs(clients.ecr("eu-west-1"))
        .isNotSameAs(clients.ecr());
    assertThat(clients.ecr("eu-west-1").serviceClientConfiguration().region().id())
        .isEqualTo("eu-west-1");
    assertThat(clients.ecr("ap-southeast-2")).isNotSameAs(clients.ecr("eu-west-1"));
  }

  @Test
  void credentialFor_otherRegistryWithoutLogin_isAnonymous() {
    assertThat(auth.credentialFor("registry.example.com:5000")).isEmpty();
    assertThat(aws.calls()).isEmpty();
  }

  @Test
  void credentialFor_staticLogin_readsThePasswordFileAtEachUse() throws IOException {
    Path passwordFile = dir.resolve("password");
    Files.writeString(passwordFile, "first\n");
    EcrRegistryAuth withLogin =
        auth(Map.of("registry.example.com", new StaticRegistryLogin("deploy", passwordFile)));

    assertThat(withLogin.credentialFor("registry.example.com"))
        .map(RegistryCredential::password)
        .contains("first");
    Files.writeString(passwordFile, "rotated");
    Optional<RegistryCredential> rotated = withLogin.credentialFor("registry.example.com");

    assertThat(rotated).map(RegistryCredential::username).contains("deploy");
    assertThat(rotated).map(RegistryCredential::password).contains("rotated");
    assertThat(rotated.orElseThrow().expiresAt()).isNull();
    assertThat(aws.calls()).isEmpty();
  }

  @Test
  void credentialFor_staticLoginWithMissingPasswordFile_namesTheFile() {
    Path passwordFile = dir.resolve("missing");
    EcrRegistryAuth withLogin =
        auth(Map.of("registry.example.com", new StaticRegistryLogin("deploy", passwordFile)));

    assertThatThrownBy(() -> withLogin.credentialFor("registry.example.com"))
        .isInstanceOf(RegistryAuthException.class)
        .hasMessageContaining(passwordFile.toString());
  }

  @Test
  void regionOf_isTheRegionInTheHostName() {
    assertThat(EcrRegistryAuth.regionOf(ECR)).contains("us-east-1");
    assertThat(EcrRegistryAuth.regionOf("123456789012.dkr.ecr.eu-west-1.amazonaws.com:443"))
        .contains("eu-west-1");
    assertThat(EcrRegistryAuth.regionOf("123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com"))
        .contains("us-gov-west-1");
    assertThat(EcrRegistryAuth.regionOf("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn"))
        .contains("cn-north-1");
    assertThat(EcrRegistryAuth.regionOf("registry.example.com")).isEmpty();
  }

  @Test
  void isEcrRegistry_matchesEcrHostsOnly() {
    assertThat(EcrRegistryAuth.isEcrRegistry(ECR)).isTrue();
    assertThat(
            EcrRegistryAuth.isEcrRegistry("123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com"))
        .isTrue();
    assertThat(EcrRegistryAuth.isEcrRegistry("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn"))
        .isTrue();
    assertThat(EcrRegistryAuth.isEcrRegistry(ECR + ":443")).isTrue();
    assertThat(EcrRegistryAuth.isEcrRegistry("public.ecr.aws")).isFalse();
    assertThat(EcrRegistryAuth.isEcrRegistry("12345.dkr.ecr.us-east-1.amazonaws.com")).isFalse();
    assertThat(EcrRegistryAuth.isEcrRegistry("registry.example.com")).isFalse();
  }

  @Test
  void refreshMargin_mustBeShorterThanTheTokenLife() {
    assertThatThrownBy(
            () ->
                new EcrRegistryAuth(
                    clients::ecr, Map.of(), Duration.ofHours(12), time, AwsCallListener.NONE))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
