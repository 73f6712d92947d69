package dev.driftguard.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftguard.model.ContainerInfo;
import dev.driftguard.model.ContainerSpec;
import dev.driftguard.model.Digest;
import dev.driftguard.model.ImageRef;
import dev.driftguard.model.RegistryCredential;
import dev.driftguard.model.RunSpec;
import dev.driftguard.runtime.ContainerRuntime.LocalImage;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link ContainerRuntime} must do, run against the in-memory fake (unit tests) and
 * against the real Docker engine ({@code DockerContainerRuntimeIT}). The reconciler's unit tests
 * run on the fake, so every behaviour they rely on belongs here: when the fake and Docker disagree,
 * this suite says which one is wrong.
 *
 * <p>Subclasses provide the runtime, the images of a registry that needs a password, and unique
 * container names; containers created through {@link #name(String)} are removed after each test.
 */
public abstract class ContainerRuntimeContract {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final Duration RESTART_GRACE = Duration.ofMillis(1500);

  private final List<String> created = new ArrayList<>();

  /** The runtime under test; the same instance for the whole test. */
  protected abstract ContainerRuntime runtime();

  /** An image whose containers serve and report HEALTHY. */
  protected abstract ImageRef healthyImage();

  /** Another version of the same repository. */
  protected abstract ImageRef otherImage();

  /** An image whose containers run but report UNHEALTHY. */
  protected abstract ImageRef unhealthyImage();

  /** An image whose containers exit at once with {@link #crashExitCode()}. */
  protected abstract ImageRef crashingImage();

  protected abstract int crashExitCode();

  /** The login the registry of these images accepts. */
  protected abstract RegistryCredential credential();

  /** A container name no other test (or test run) uses. */
  protected abstract String uniqueName(String suffix);

  /**
   * Makes a local image no container uses and no other test needs, in a repository of its own, so
   * removing it cannot disturb anything else.
   */
  protected abstract LocalImage disposableImage(String repositoryName);

  /** The registry this implementation pulls from, for disposable repository names. */
  protected String registry() {
    return healthyImage().registry();
  }

  @AfterEach
  void removeContainers() {
    for (String name : created) {
      runtime().remove(name);
    }
  }

  // ------------------------------------------------------------------ pull

  @Test
  void pull_returnsTheLocalImageCarryingTheDigest() {
    String id = runtime().pull(healthyImage(), credential());

    assertThat(runtime().images(healthyImage().repositoryName()))
        .anySatisfy(
            image -> {
              assertThat(image.id()).isEqualTo(id);
              assertThat(image.repoDigests()).contains(healthyImage().pinned());
            });
  }

  @Test
  void pull_whenAlreadyPresent_returnsTheSameImage() {
    String first = runtime().pull(healthyImage(), credential());

    assertThat(runtime().pull(healthyImage(), credential())).isEqualTo(first);
  }

  @Test
  void pull_ofUnknownDigest_failsAsPullFailureNotAsUnauthorized() {
    ImageRef unknown = withDigest(healthyImage(), randomDigest());

    assertThatThrownBy(() -> runtime().pull(unknown, credential()))
        .isInstanceOf(ImagePullException.class)
        .isNotInstanceOf(RegistryUnauthorizedException.class)
        .hasMessageContaining(unknown.digest().value());
  }

  @Test
  void pull_withWrongPassword_isUnauthorizedAndDoesNotLeakThePassword() {
    // A digest that is not local, so the registry is asked (a present image skips the pull).
    ImageRef notLocal = withDigest(healthyImage(), randomDigest());
    String password = "wrong-" + HexFormat.of().formatHex(randomBytes(8));
    RegistryCredential wrong =
        new RegistryCredential(credential().registry(), credential().username(), password, null);

    assertThatThrownBy(() -> runtime().pull(notLocal, wrong))
        .isInstanceOf(RegistryUnauthorizedException.class)
        .satisfies(
            e -> {
              assertThat(((RegistryUnauthorizedException) e).registry())
                  .isEqualTo(notLocal.registry());
              assertThat(e.getMessage()).doesNotContain(password);
            });
  }

  @Test
  void pull_whenAlreadyPresent_needsNoRegistry() {
    // An expired registry token must not stop a host from (re)starting what it has locally.
    String id = runtime().pull(healthyImage(), credential());
    RegistryCredential expired =
        new RegistryCredential(
            credential().registry(), credential().username(), "expired-token", null);

    assertThat(runtime().pull(healthyImage(), expired)).isEqualTo(id);
  }

  // ------------------------------------------------------------------ create and inspect

  @Test
  void inspect_ofMissingContainer_isEmpty() {
    assertThat(runtime().inspect(uniqueName("missing"))).isEmpty();
  }

  @Test
  void create_makesACreatedContainerWithTheSpecLabels() {
    String imageId = runtime().pull(healthyImage(), credential());
    String name = name("labels");
    RunSpec spec = spec(healthyImage());

    ContainerInfo info = runtime().create(name, spec);

    assertThat(info.name()).isEqualTo(name);
    assertThat(info.state()).isEqualTo(ContainerInfo.State.CREATED);
    assertThat(info.imageId()).isEqualTo(imageId);
    // Images may bring labels of their own; the spec's labels must all be there.
    assertThat(info.labels()).containsAllEntriesOf(spec.labels());
    assertThat(info.managed()).isTrue();
    assertThat(info.digest()).contains(healthyImage().digest());
    assertThat(runtime().inspect(name)).get().extracting(ContainerInfo::id).isEqualTo(info.id());
  }

  @Test
  void create_reportsANeverStartedContainerWithStartedAtEpoch() {
    runtime().pull(healthyImage(), credential());
    String name = name("neverstarted");

    runtime().create(name, spec(healthyImage()));

    // Docker says 0001-01-01T00:00:00Z; the port says EPOCH, never null.
    assertThat(runtime().inspect(name).orElseThrow().startedAt()).isEqualTo(Instant.EPOCH);
  }

  @Test
  void create_whenNameTaken_fails() {
    runtime().pull(healthyImage(), credential());
    String name = name("taken");
    runtime().create(name, spec(healthyImage()));

    assertThatThrownBy(() -> runtime().create(name, spec(healthyImage())))
        .isInstanceOf(ContainerRuntimeException.class)
        .hasMessageContaining(name);
  }

  @Test
  void create_whenImageNotPulled_fails() {
    ImageRef absent = withDigest(healthyImage(), randomDigest());
    String name = name("noimage");

    assertThatThrownBy(() -> runtime().create(name, spec(absent)))
        .isInstanceOf(ContainerRuntimeException.class);
    assertThat(runtime().inspect(name)).isEmpty();
  }

  // ------------------------------------------------------------------ inspectAll

  @Test
  void inspectAll_ofNoNames_isEmpty() {
    assertThat(runtime().inspectAll(List.of())).isEmpty();
  }

  @Test
  void inspectAll_reportsEachNamedContainerAsInspectDoes_andNoOther() {
    runtime().pull(healthyImage(), credential());
    String running = name("all-running");
    String created = name("all-created");
    // Names that contain or extend a requested one are other containers.
    String longer = name("all-running-previous");
    runtime().create(running, spec(healthyImage()));
    runtime().start(running);
    runtime().create(created, spec(healthyImage()));
    runtime().create(longer, spec(healthyImage()));
    String missing = uniqueName("all-missing");

    Map<String, ContainerInfo> all = runtime().inspectAll(List.of(running, created, missing));

    assertThat(all).containsOnlyKeys(running, created);
    for (String name : List.of(running, created)) {
      ContainerInfo one = runtime().inspect(name).orElseThrow();
      assertThat(all.get(name))
          .usingRecursiveComparison()
          .comparingOnlyFields("id", "name", "imageId", "labels", "state", "exitCode", "startedAt")
          .isEqualTo(one);
    }
  }

  @Test
  void inspectAll_seesEveryChange_startStopRemove() {
    runtime().pull(healthyImage(), credential());
    String name = name("all-change");
    List<String> names = List.of(name);
    runtime().create(name, spec(healthyImage()));
    assertThat(runtime().inspectAll(names).get(name).state())
        .isEqualTo(ContainerInfo.State.CREATED);

    runtime().start(name);
    ContainerInfo started = runtime().inspectAll(names).get(name);
    assertThat(started.state()).isEqualTo(ContainerInfo.State.RUNNING);
    assertThat(started.startedAt()).isAfter(Instant.EPOCH);

    runtime().stop(name, "SIGTERM", Duration.ofSeconds(10));
    assertThat(runtime().inspectAll(names).get(name))
        .extracting(ContainerInfo::state, ContainerInfo::exitCode)
        .containsExactly(
            ContainerInfo.State.EXITED, runtime().inspect(name).orElseThrow().exitCode());

    runtime().remove(name);
    assertThat(runtime().inspectAll(names)).isEmpty();
  }

  @Test
  void inspectAll_seesARenamedContainerUnderItsNewName() {
    runtime().pull(healthyImage(), credential());
    String from = name("all-from");
    String to = name("all-to");
    ContainerInfo before = runtime().create(from, spec(healthyImage()));
    runtime().inspectAll(List.of(from, to));

    runtime().rename(from, to);

    Map<String, ContainerInfo> all = runtime().inspectAll(List.of(from, to));
    assertThat(all).containsOnlyKeys(to);
    assertThat(all.get(to).id()).isEqualTo(before.id());
    assertThat(all.get(to).name()).isEqualTo(to);
  }

  @Test
  void inspectAll_seesHealthChange() {
    runtime().pull(unhealthyImage(), credential());
    String name = name("all-unhealthy");
    runtime().create(name, spec(unhealthyImage()));
    runtime().start(name);

    ContainerInfo info = awaitAll(name, c -> c.health() == ContainerInfo.Health.UNHEALTHY);

    assertThat(info.running()).isTrue();
  }

  // ------------------------------------------------------------------ lifecycle

  @Test
  void start_isIdempotent() {
    runtime().pull(healthyImage(), credential());
    String name = name("start");
    runtime().create(name, spec(healthyImage()));

    runtime().start(name);
    runtime().start(name);

    ContainerInfo info = runtime().inspect(name).orElseThrow();
    assertThat(info.state()).isEqualTo(ContainerInfo.State.RUNNING);
    assertThat(info.startedAt()).isNotNull().isAfter(Instant.EPOCH);
  }

  @Test
  void start_ofMissingContainer_fails() {
    String name = uniqueName("nostart");

    assertThatThrownBy(() -> runtime().start(name))
        .isInstanceOf(ContainerRuntimeException.class)
        .hasMessageContaining(name);
  }

  @Test
  void stop_isIdempotentAndAcceptsMissingContainers() {
    runtime().pull(healthyImage(), credential());
    String name = name("stop");
    runtime().create(name, spec(healthyImage()));
    runtime().start(name);

    runtime().stop(name, "SIGTERM", Duration.ofSeconds(10));
    runtime().stop(name, "SIGTERM", Duration.ofSeconds(10));

    assertThat(runtime().inspect(name).orElseThrow().state()).isEqualTo(ContainerInfo.State.EXITED);
    assertThatCode(() -> runtime().stop(uniqueName("nostop"), "SIGTERM", Duration.ofSeconds(1)))
        .doesNotThrowAnyException();
  }

  @Test
  void stop_ofCreatedContainer_leavesItStopped() {
    runtime().pull(healthyImage(), credential());
    String name = name("stopcreated");
    runtime().create(name, spec(healthyImage()));

    runtime().stop(name, "SIGTERM", Duration.ofSeconds(1));

    assertThat(runtime().inspect(name).orElseThrow().running()).isFalse();
  }

  @Test
  void start_afterStop_runsAgain() {
    runtime().pull(healthyImage(), credential());
    String name = name("restart");
    runtime().create(name, spec(healthyImage()));
    runtime().start(name);
    runtime().stop(name, "SIGTERM", Duration.ofSeconds(10));

    runtime().start(name);

    assertThat(runtime().inspect(name).orElseThrow().state())
        .isEqualTo(ContainerInfo.State.RUNNING);
  }

  @Test
  void remove_ofRunningContainer_isIdempotent() {
    runtime().pull(healthyImage(), credential());
    String name = name("remove");
    runtime().create(name, spec(healthyImage()));
    runtime().start(name);

    runtime().remove(name);
    runtime().remove(name);

    assertThat(runtime().inspect(name)).isEmpty();
  }

  @Test
  void rename_movesTheContainerAndKeepsItsLabels() {
    runtime().pull(healthyImage(), credential());
    String from = name("from");
    String to = name("to");
    ContainerInfo before = runtime().create(from, spec(healthyImage()));

    runtime().rename(from, to);

    assertThat(runtime().inspect(from)).isEmpty();
    ContainerInfo after = runtime().inspect(to).orElseThrow();
    assertThat(after.id()).isEqualTo(before.id());
    assertThat(after.name()).isEqualTo(to);
    assertThat(after.labels()).isEqualTo(before.labels());
  }

  @Test
  void rename_whenTargetTaken_failsAndChangesNothing() {
    runtime().pull(healthyImage(), credential());
    String from = name("a");
    String to = name("b");
    ContainerInfo a = runtime().create(from, spec(healthyImage()));
    ContainerInfo b = runtime().create(to, spec(healthyImage()));

    assertThatThrownBy(() -> runtime().rename(from, to))
        .isInstanceOf(ContainerRuntimeException.class);

    assertThat(runtime().inspect(from).orElseThrow().id()).isEqualTo(a.id());
    assertThat(runtime().inspect(to).orElseThrow().id()).isEqualTo(b.id());
  }

  @Test
  void rename_ofMissingContainer_fails() {
    assertThatThrownBy(() -> runtime().rename(uniqueName("nofrom"), uniqueName("noto")))
        .isInstanceOf(ContainerRuntimeException.class);
  }

  @Test
  void crashingContainer_isRestartedByTheEngine_andReportedRestartingWithItsExitCode() {
    runtime().pull(crashingImage(), credential());
    String name = name("crash");
    runtime().create(name, spec(crashingImage()));

    runtime().start(name);

    // Restart policy unless-stopped: the engine tries again, so a crash shows as a crash loop.
    ContainerInfo info = await(name, c -> c.state() == ContainerInfo.State.RESTARTING);
    assertThat(info.running()).isFalse();
    assertThat(info.exitCode()).isEqualTo(crashExitCode());
    assertThat(await(name, c -> c.restartCount() > 0).restartCount()).isPositive();
  }

  @Test
  void stop_ofCrashLoopingContainer_leavesItExited() {
    runtime().pull(crashingImage(), credential());
    String name = name("crash-stop");
    runtime().create(name, spec(crashingImage()));
    runtime().start(name);
    await(name, c -> c.restartCount() > 0);

    runtime().stop(name, "SIGTERM", Duration.ofSeconds(5));

    ContainerInfo info = await(name, c -> c.state() == ContainerInfo.State.EXITED);
    pause(RESTART_GRACE);
    assertThat(runtime().inspect(name).orElseThrow().state()).isEqualTo(ContainerInfo.State.EXITED);
    assertThat(info.exitCode()).isEqualTo(crashExitCode());
  }

  @Test
  void stop_ofRunningContainer_keepsItStopped_despiteTheRestartPolicy() {
    runtime().pull(healthyImage(), credential());
    String name = name("stays-stopped");
    runtime().create(name, spec(healthyImage()));
    runtime().start(name);
    await(name, ContainerInfo::running);

    runtime().stop(name, "SIGTERM", Duration.ofSeconds(10));
    // Long enough for the engine's first restart (it waits 100 ms) had it wanted one.
    pause(RESTART_GRACE);

    ContainerInfo info = runtime().inspect(name).orElseThrow();
    assertThat(info.state()).isEqualTo(ContainerInfo.State.EXITED);
    assertThat(info.restartCount()).isZero();
  }

  @Test
  void engineInfo_reportsTheEnginesVersion() {
    assertThat(runtime().engineInfo().version()).isNotBlank();
  }

  @Test
  void healthyImage_reportsHealthy_andUnhealthyImage_reportsUnhealthy() {
    runtime().pull(healthyImage(), credential());
    runtime().pull(unhealthyImage(), credential());
    String good = name("healthy");
    String bad = name("unhealthy");
    runtime().create(good, spec(healthyImage()));
    runtime().create(bad, spec(unhealthyImage()));
    runtime().start(good);
    runtime().start(bad);

    assertThat(await(good, c -> c.health() == ContainerInfo.Health.HEALTHY).running()).isTrue();
    assertThat(await(bad, c -> c.health() == ContainerInfo.Health.UNHEALTHY).running()).isTrue();
  }

  // ------------------------------------------------------------------ images

  @Test
  void images_listsThePulledVersionsOfTheRepositoryOnly() {
    String v1 = runtime().pull(healthyImage(), credential());
    String v2 = runtime().pull(otherImage(), credential());

    List<LocalImage> images = runtime().images(healthyImage().repositoryName());

    assertThat(images).extracting(LocalImage::id).contains(v1, v2);
    assertThat(images)
        .allSatisfy(
            image ->
                assertThat(image.repoDigests())
                    .anyMatch(d -> d.startsWith(healthyImage().repositoryName() + "@")));
    assertThat(runtime().images(registry() + "/driftguard-none/" + uniqueName("repo"))).isEmpty();
  }

  @Test
  void removeImage_ofImageUsedByStoppedContainer_keepsIt() {
    String id = runtime().pull(healthyImage(), credential());
    String name = name("keeper");
    runtime().create(name, spec(healthyImage()));
    runtime().start(name);
    runtime().stop(name, "SIGTERM", Duration.ofSeconds(10));

    // A stopped <service>-previous needs its image for a rollback.
    runtime().removeImage(id);

    assertThat(runtime().images(healthyImage().repositoryName()))
        .extracting(LocalImage::id)
        .contains(id);
    runtime().start(name);
    assertThat(runtime().inspect(name).orElseThrow().state())
        .isEqualTo(ContainerInfo.State.RUNNING);
  }

  @Test
  void removeImage_ofUnusedImage_removesIt_andIsIdempotent() {
    String repository = registry() + "/driftguard-test/" + uniqueName("disposable");
    LocalImage image = disposableImage(repository);
    assertThat(runtime().images(repository)).extracting(LocalImage::id).contains(image.id());

    runtime().removeImage(image.id());
    runtime().removeImage(image.id());

    assertThat(runtime().images(repository)).isEmpty();
  }

  // ------------------------------------------------------------------ helpers

  /** A unique container name, removed after the test. */
  protected final String name(String suffix) {
    String name = uniqueName(suffix);
    created.add(name);
    return name;
  }

  /** A run spec of the test service for {@code image}: no ports, so tests never collide. */
  protected static RunSpec spec(ImageRef image) {
    ContainerSpec container =
        new ContainerSpec(
            List.of(),
            Map.of("GREETING", "contract"),
            Map.of(),
            List.of(),
            List.of(),
            "SIGTERM",
            Duration.ofSeconds(10),
            0);
    return new RunSpec(
        "contract",
        image,
        container,
        Map.of("GREETING", "contract"),
        RunSpec.specHashOf(container));
  }

  /** Waits (bounded) until the container satisfies {@code condition}; returns its last state. */
  protected final ContainerInfo await(String name, Predicate<ContainerInfo> condition) {
    return awaitObserved(name, condition, runtime()::inspect);
  }

  private ContainerInfo awaitObserved(
      String name,
      Predicate<ContainerInfo> condition,
      java.util.function.Function<String, Optional<ContainerInfo>> observe) {
    Instant deadline = Instant.now().plus(WAIT);
    Optional<ContainerInfo> info = observe.apply(name);
    while (info.isEmpty() || !condition.test(info.get())) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError(
            "container " + name + " did not reach the expected state within " + WAIT + ": " + info);
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
      info = observe.apply(name);
    }
    return info.get();
  }

  /** Like {@link #await}, observing through {@link ContainerRuntime#inspectAll}. */
  protected final ContainerInfo awaitAll(String name, Predicate<ContainerInfo> condition) {
    return awaitObserved(
        name, condition, n -> Optional.ofNullable(runtime().inspectAll(List.of(n)).get(n)));
  }

  /** Waits in real time: the engine acts on its own clock. The fake needs no waiting. */
  protected void pause(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  protected static ImageRef withDigest(ImageRef image, Digest digest) {
    return new ImageRef(image.registry(), image.repository(), null, digest);
  }

  protected static Digest randomDigest() {
    return Digest.parse("sha256:" + HexFormat.of().formatHex(randomBytes(32)));
  }

  private static byte[] randomBytes(int n) {
    byte[] bytes = new byte[n];
    RANDOM.nextBytes(bytes);
    return bytes;
  }
}
