package dev.driftguard.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftguard.model.RegistryCredential;
import dev.driftguard.runtime.DockerContainerRuntime;
import dev.driftguard.runtime.ImagePullException;
import dev.driftguard.runtime.RegistryUnauthorizedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The registry fault proxy on the real engine: the engine pulls through it (TLS trusted via
 * certs.d, credentials passed through), and each fault reaches the pull as the engine reports a
 * failing registry, while the registry itself stays untouched for everyone else.
 */
class RegistryFaultProxyIT {
  private TestEnv env;
  private DockerContainerRuntime docker;
  private RegistryFaultProxy proxy;
  private RegistryCredential login;

  @BeforeEach
  void start() {
    env = TestEnv.load();
    docker = DockerContainerRuntime.create(env.dockerHost());
    proxy = RegistryFaultProxy.start(env);
    RegistryCredential direct = env.credential();
    login = new RegistryCredential(proxy.registry(), direct.username(), direct.password(), null);
  }

  @AfterEach
  void stop() throws Exception {
    proxy.close();
    // Only the names through this proxy go; the images stay for everyone else.
    for (String variant : new String[] {"v1", "v2"}) {
      dockerCli("rmi", proxy.image(variant).pinned());
    }
    docker.close();
  }

  @Test
  void pass_theEnginePullsThroughTheProxy_andTrustsItsCertificate() {
    assertThat(Files.exists(Path.of("/etc/docker/certs.d", proxy.registry(), "ca.crt"))).isTrue();

    String id = docker.pull(proxy.image("v1"), login);

    assertThat(proxy.requests()).as("the engine asked the proxy").isPositive();
    assertThat(docker.images(proxy.image("v1").repositoryName()))
        .anySatisfy(
            i -> {
              assertThat(i.id()).isEqualTo(id);
              assertThat(i.repoDigests()).contains(proxy.image("v1").pinned());
            });
  }

  @Test
  void error503_failsThePull_asAPullFailureNotAsUnauthorized() {
    proxy.error(503);

    assertThatThrownBy(() -> docker.pull(proxy.image("v2"), login))
        .isInstanceOf(ImagePullException.class)
        .isNotInstanceOf(RegistryUnauthorizedException.class);
    assertThat(proxy.faulted()).isPositive();

    proxy.pass();
    docker.pull(proxy.image("v2"), login);
  }

  @Test
  void down_refusesConnections_untilPassAgain() {
    proxy.down();

    assertThatThrownBy(() -> docker.pull(proxy.image("v2"), login))
        .isInstanceOf(ImagePullException.class)
        .isNotInstanceOf(RegistryUnauthorizedException.class);

    proxy.pass();
    docker.pull(proxy.image("v2"), login);
    assertThat(proxy.requests()).isPositive();
  }

  @Test
  void slow_delaysEveryRequest() {
    proxy.slow(Duration.ofMillis(700));

    long start = System.nanoTime();
    docker.pull(proxy.image("v2"), login);

    // At least the version check and the manifest: two slow requests.
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(Duration.ofMillis(1400));
  }

  private void dockerCli(String... args) throws Exception {
    String[] argv = new String[args.length + 2];
    argv[0] = "docker";
    argv[1] = "--host=" + env.dockerHost();
    System.arraycopy(args, 0, argv, 2, args.length);
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    p.waitFor(30, TimeUnit.SECONDS);
  }
}
