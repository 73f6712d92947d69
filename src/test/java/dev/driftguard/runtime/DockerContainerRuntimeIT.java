package dev.driftguard.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.AuthConfig;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Ports;
import com.github.dockerjava.api.model.PushResponseItem;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.core.RemoteApiVersion;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import dev.driftguard.health.HealthCheck;
import dev.driftguard.health.HealthCheck.ProbeResult;
import dev.driftguard.health.HealthChecks;
import dev.driftguard.model.ContainerInfo;
import dev.driftguard.model.ContainerSpec;
import dev.driftguard.model.HealthSpec;
import dev.driftguard.model.ImageRef;
import dev.driftguard.model.PortBinding;
import dev.driftguard.model.RegistryCredential;
import dev.driftguard.model.RunSpec;
import dev.driftguard.runtime.ContainerRuntime.LocalImage;
import dev.driftguard.testing.TestEnv;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runtime contract, and what only a real engine can show (run settings as Docker stores them, a
 * real pull from the registry, health probes through published ports), on the engine and ECR-like
 * registry of {@code test/env/up}. Containers are named {@code dg-it-*} and removed after each
 * test; they are reached only through ports published on 127.0.0.1.
 */
class DockerContainerRuntimeIT extends ContainerRuntimeContract {
  private static final String RUN_ID = Long.toHexString(System.currentTimeMillis() % 0xFFFFFFL);
  private static final Duration WAIT = Duration.ofSeconds(30);

  private static TestEnv env;
  private static DockerContainerRuntime runtime;

  /** docker-java directly, to see what the adapter stored and to build throw-away images. */
  private static DockerClient docker;

  private int names;

  @BeforeAll
  static void connect() {
    env = TestEnv.load();
    runtime = DockerContainerRuntime.create(env.dockerHost());
    docker =
        DockerClientImpl.getInstance(
            new DefaultDockerClientConfig.Builder()
                .withDockerHost(env.dockerHost().toString())
                .withApiVersion(RemoteApiVersion.VERSION_1_41)
                .build(),
            new ApacheDockerHttpClient.Builder()
                .dockerHost(env.dockerHost())
                .responseTimeout(Duration.ofMinutes(2))
                .build());
  }

  @AfterAll
  static void close() throws IOException {
    if (runtime != null) {
      runtime.close();
    }
    if (docker != null) {
      docker.close();
    }
  }

  @Override
  protected ContainerRuntime runtime() {
    return runtime;
  }

  @Override
  protected ImageRef healthyImage() {
    return env.image("v1");
  }

  @Override
  protected ImageRef otherImage() {
    return env.image("v2");
  }

  @Override
  protected ImageRef unhealthyImage() {
    return env.image("unhealthy");
  }

  @Override
  protected ImageRef crashingImage() {
    return env.image("crash");
  }

  @Override
  protected int crashExitCode() {
    return 3; // test/env/images/crash/Dockerfile
  }

  @Override
  protected RegistryCredential credential() {
    return env.credential();
  }

  @Override
  protected String uniqueName(String suffix) {
    return "dg-it-" + RUN_ID + "-" + (++names) + "-" + suffix;
  }

  @Override
  protected LocalImage disposableImage(String repositoryName) {
    String id = commit(repositoryName, "disposable");
    return new LocalImage(id, List.of(), Instant.now());
  }

  // ------------------------------------------------------------------ Docker only

  @Test
  void inspectAll_whenNothingChanged_isOneEngineCall() {
    runtime.pull(healthyImage(), credential());
    String created = name("one-call");
    runtime.create(created, spec(healthyImage()));
    List<String> names =
        List.of(created, uniqueName("one-call-previous"), uniqueName("one-call-next"));
    AtomicInteger requests = new AtomicInteger();
    try (DockerContainerRuntime counted =
        new DockerContainerRuntime(env.dockerHost(), counting(requests))) {
      Map<String, ContainerInfo> first = counted.inspectAll(names);
      int before = requests.get();

      // "Created" does not age like "Up 3 seconds", so nothing changes between the two.
      Map<String, ContainerInfo> second = counted.inspectAll(names);

      assertThat(requests.get() - before).isEqualTo(1);
      assertThat(second).isEqualTo(first).containsOnlyKeys(created);
    }
  }

  @Test
  void inspectAll_seesAContainerMadeByHandWithoutLabels() {
    runtime.pull(healthyImage(), credential());
    String name = name("by-hand");
    docker.createContainerCmd(healthyImage().pinned()).withName(name).exec();

    ContainerInfo info = runtime.inspectAll(List.of(name)).get(name);

    assertThat(info).isNotNull();
    assertThat(info.managed()).isFalse();
  }

  /**
   * A transport that counts the requests reaching the engine (a proxy: its request type is
   * generated).
   */
  private static com.github.dockerjava.transport.DockerHttpClient counting(AtomicInteger requests) {
    com.github.dockerjava.transport.DockerHttpClient real =
        new ApacheDockerHttpClient.Builder().dockerHost(env.dockerHost()).build();
    return (com.github.dockerjava.transport.DockerHttpClient)
        Proxy.newProxyInstance(
            DockerContainerRuntimeIT.class.getClassLoader(),
            new Class<?>[] {com.github.dockerjava.transport.DockerHttpClient.class},
            (proxy, method, args) -> {
              if (method.getName().equals("execute")) {
                requests.incrementAndGet();
              }
              try {
                return method.invoke(real, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
            });
  }

  @Test
  void pull_fetchesFromTheRegistryByDigestWithTheCredential() throws InterruptedException {
    // An image only this test knows: committed, pushed, then removed locally, so the pull
    // below really goes to the registry (the shared test images may be local already).
    String repository = env.repository() + "-" + uniqueName("pull");
    String committed = commit(repository, "push");
    AuthConfig auth =
        new AuthConfig()
            .withRegistryAddress(env.registryHost())
            .withUsername(credential().username())
            .withPassword(credential().password());
    docker
        .pushImageCmd(repository)
        .withTag("push")
        .withAuthConfig(auth)
        .exec(new ResultCallback.Adapter<PushResponseItem>())
        .awaitCompletion(2, TimeUnit.MINUTES);
    String pinned =
        docker.inspectImageCmd(committed).exec().getRepoDigests().stream()
            .filter(d -> d.startsWith(repository + "@"))
            .findFirst()
            .orElseThrow(() -> new AssertionError("push left no repo digest"));
    docker.removeImageCmd(committed).withForce(true).exec();
    assertThat(runtime.images(repository)).isEmpty();

    try {
      String id = runtime.pull(ImageRef.parse(pinned), credential());

      assertThat(id).isEqualTo(committed);
      assertThat(docker.inspectImageCmd(id).exec().getRepoDigests()).contains(pinned);
    } finally {
      runtime.removeImage(committed);
    }
  }

  @Test
  void create_storesTheRunSettingsInDocker(@TempDir Path shared) throws IOException {
    Files.writeString(shared.resolve("hello"), "from the host");
    runtime.pull(healthyImage(), credential());
    String name = name("settings");
    int hostPort = freePort();
    ContainerSpec container =
        new ContainerSpec(
            List.of(new PortBinding("127.0.0.1", hostPort, env.imagePort(), "tcp")),
            Map.of("GREETING", "hello"),
            Map.of(),
            List.of(shared + ":/shared:ro"),
            List.of(),
            "SIGINT",
            Duration.ofSeconds(7),
            64L * 1024 * 1024);
    RunSpec spec =
        new RunSpec("settings", healthyImage(), container, Map.of("GREETING", "hello"), "abc");

    runtime.create(name, spec);

    InspectContainerResponse raw = docker.inspectContainerCmd(name).exec();
    HostConfig host = raw.getHostConfig();
    assertThat(raw.getConfig().getImage()).isEqualTo(healthyImage().pinned());
    assertThat(raw.getConfig().getEnv()).contains("GREETING=hello");
    assertThat(rawConfig(name))
        .containsEntry("StopSignal", "SIGINT")
        .containsEntry("StopTimeout", 7);
    assertThat(raw.getConfig().getExposedPorts()).contains(ExposedPort.tcp(env.imagePort()));
    assertThat(host.getMemory()).isEqualTo(64L * 1024 * 1024);
    // Back after a dockerd restart or a reboot without the agent (issue 9).
    assertThat(host.getRestartPolicy().getName()).isEqualTo("unless-stopped");
    assertThat(host.getInit()).isNotEqualTo(Boolean.TRUE);
    assertThat(Arrays.stream(host.getBinds()).map(b -> b.getPath() + ":" + b.getVolume().getPath()))
        .containsExactly(shared + ":/shared");
    assertThat(host.getBinds()[0].getAccessMode().toString()).isEqualTo("ro");
    Ports.Binding[] published =
        host.getPortBindings().getBindings().get(ExposedPort.tcp(env.imagePort()));
    assertThat(published).hasSize(1);
    assertThat(published[0].getHostIp()).isEqualTo("127.0.0.1");
    assertThat(published[0].getHostPortSpec()).isEqualTo(String.valueOf(hostPort));

    runtime.start(name);
    assertThat(httpGet(hostPort, "/env")).contains("GREETING=hello");
  }

  @Test
  void engineInfo_agreesWithDockerInfo() throws Exception {
    Process p =
        new ProcessBuilder(
                "docker",
                "-H",
                env.dockerHost().toString(),
                "info",
                "--format",
                "{{.ServerVersion}} {{.LiveRestoreEnabled}}")
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertThat(p.waitFor()).as(out).isZero();

    ContainerRuntime.EngineInfo info = runtime.engineInfo();

    assertThat(info.version() + " " + info.liveRestore()).isEqualTo(out);
  }

  @Test
  void stop_withTheContainersSignal_stopsGracefully() {
    runtime.pull(healthyImage(), credential());
    String name = name("graceful");
    runtime.create(name, spec(healthyImage()));
    runtime.start(name);
    await(name, c -> c.health() == ContainerInfo.Health.HEALTHY);

    long started = System.nanoTime();
    runtime.stop(name, "SIGTERM", Duration.ofSeconds(20));

    // The web app traps SIGTERM and exits 0 at once; a kill after the timeout would be 137.
    ContainerInfo info = runtime.inspect(name).orElseThrow();
    assertThat(info.state()).isEqualTo(ContainerInfo.State.EXITED);
    assertThat(info.exitCode()).isZero();
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(15));
  }

  @Test
  void inspect_neverResolvesANameAsAnIdPrefix() {
    runtime.pull(healthyImage(), credential());
    String name = name("prefix");
    ContainerInfo real = runtime.create(name, spec(healthyImage()));
    String prefix = real.id().substring(0, 12);

    assertThat(runtime.inspect(prefix)).isEmpty();
    runtime.remove(prefix);
    runtime.stop(prefix, "SIGTERM", Duration.ofSeconds(1));

    assertThat(runtime.inspect(name)).get().extracting(ContainerInfo::id).isEqualTo(real.id());
  }

  @Test
  void healthChecks_probeThroughTheLoopbackPublishedPort() {
    runtime.pull(healthyImage(), credential());
    runtime.pull(unhealthyImage(), credential());
    int goodPort = freePort();
    int badPort = freePort();
    String good = name("probe-good");
    String bad = name("probe-bad");
    ContainerSpec goodSpec = published(goodPort);
    ContainerSpec badSpec = published(badPort);
    runtime.create(good, spec(healthyImage()).withPorts(goodSpec.ports()));
    runtime.create(bad, spec(unhealthyImage()).withPorts(badSpec.ports()));
    runtime.start(good);
    runtime.start(bad);
    HealthSpec http = health(HealthSpec.Type.HTTP);
    HealthSpec tcp = health(HealthSpec.Type.TCP);
    HealthSpec dockerHealth = health(HealthSpec.Type.DOCKER);

    assertThat(awaitProbe(good, goodSpec, http, ProbeResult::healthy).detail())
        .isEqualTo("HTTP 200");
    assertThat(probe(good, goodSpec, tcp).healthy()).isTrue();
    assertThat(awaitProbe(good, goodSpec, dockerHealth, ProbeResult::healthy).healthy()).isTrue();

    ProbeResult badHttp = awaitProbe(bad, badSpec, http, r -> r.detail().startsWith("HTTP"));
    assertThat(badHttp.healthy()).isFalse();
    assertThat(badHttp.detail()).isEqualTo("HTTP 404");
    assertThat(
            awaitProbe(bad, badSpec, dockerHealth, r -> r.detail().contains("unhealthy")).healthy())
        .isFalse();

    runtime.stop(good, "SIGTERM", Duration.ofSeconds(10));
    assertThat(probe(good, goodSpec, http).healthy()).isFalse();
    assertThat(probe(good, goodSpec, tcp).healthy()).isFalse();
  }

  // ------------------------------------------------------------------ helpers

  private String commit(String repository, String tag) {
    runtime.pull(healthyImage(), credential());
    String builder = uniqueName("commit");
    runtime.create(builder, spec(healthyImage()));
    try {
      String id = docker.commitCmd(builder).withRepository(repository).withTag(tag).exec();
      // The commit id may lack the algorithm on old engines; the image id has it.
      return docker.inspectImageCmd(id).exec().getId();
    } finally {
      runtime.remove(builder);
    }
  }

  /** The engine's inspect document, with the fields docker-java does not model. */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> rawConfig(String name) {
    return (Map<String, Object>)
        docker.inspectContainerCmd(name).exec().getRawValues().get("Config");
  }

  private ContainerSpec published(int hostPort) {
    return new ContainerSpec(
        List.of(new PortBinding("127.0.0.1", hostPort, env.imagePort(), "tcp")),
        Map.of(),
        Map.of(),
        List.of(),
        List.of(),
        "SIGTERM",
        Duration.ofSeconds(10),
        0);
  }

  private HealthSpec health(HealthSpec.Type type) {
    return new HealthSpec(
        type,
        env.imagePort(),
        "/healthz",
        Duration.ofMillis(200),
        Duration.ofSeconds(1),
        1,
        Duration.ofSeconds(30));
  }

  private ProbeResult probe(String name, ContainerSpec container, HealthSpec spec) {
    HealthCheck check = HealthChecks.create().forType(spec.type());
    return check.probe(runtime.inspect(name).orElseThrow(), container, spec);
  }

  private ProbeResult awaitProbe(
      String name, ContainerSpec container, HealthSpec spec, Predicate<ProbeResult> until) {
    Instant deadline = Instant.now().plus(WAIT);
    ProbeResult result = probe(name, container, spec);
    while (!until.test(result)) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError(spec.type() + " probe of " + name + " never got there: " + result);
      }
      sleep(200);
      result = probe(name, container, spec);
    }
    return result;
  }

  private static String httpGet(int port, String path) {
    HttpClient client = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).build();
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(2))
            .build();
    Instant deadline = Instant.now().plus(WAIT);
    while (true) {
      try {
        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 200) {
          return response.body();
        }
      } catch (IOException e) {
        // Not listening yet.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("nothing answered on 127.0.0.1:" + port + path);
      }
      sleep(200);
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new AssertionError("no free port", e);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }
}
