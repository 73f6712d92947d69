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
        clients.ecr(), logins, EcrRegistryAuth.DEFAULT_REFRESH_MARGIN, time, listener);
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
        .hasMessageContaining("GetAuthorizationToken")
        .hasMessageContaining("AccessDeniedException");
    assertThat(auth.tokenExpiry()).isEmpty();
    assertThat(events).containsExactly("error ecr:GetAuthorizationToken:AccessDeniedException");
    assertThat(auth.credentialFor(ECR)).isPresent();
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
                    clients.ecr(), Map.of(), Duration.ofHours(12), time, AwsCallListener.NONE))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
