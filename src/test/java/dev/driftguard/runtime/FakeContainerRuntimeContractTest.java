package dev.driftguard.runtime;

import dev.driftguard.model.ImageRef;
import dev.driftguard.model.RegistryCredential;
import dev.driftguard.runtime.ContainerRuntime.LocalImage;
import dev.driftguard.testing.FakeContainerRuntime;
import dev.driftguard.testing.FakeContainerRuntime.Behaviour;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicInteger;

/** The runtime contract on the in-memory fake the reconciler's unit tests use. */
class FakeContainerRuntimeContractTest extends ContainerRuntimeContract {
  private static final String REGISTRY = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
  private static final String PASSWORD = "fake-password";
  private static final ImageRef V1 = image("1");
  private static final ImageRef V2 = image("2");
  private static final ImageRef UNHEALTHY = image("3");
  private static final ImageRef CRASH = image("4");

  private final AtomicInteger names = new AtomicInteger();
  private final FakeContainerRuntime runtime =
      new FakeContainerRuntime(Clock.fixed(Instant.parse("2025-01-01T00:00:00Z"), ZoneOffset.UTC))
          .publish(V1, Behaviour.HEALTHY)
          .publish(V2, Behaviour.HEALTHY)
          .publish(UNHEALTHY, Behaviour.UNHEALTHY)
          .publish(CRASH, Behaviour.EXITS)
          .requirePassword(REGISTRY, PASSWORD);

  @Override
  protected ContainerRuntime runtime() {
    return runtime;
  }

  @Override
  protected ImageRef healthyImage() {
    return V1;
  }

  @Override
  protected ImageRef otherImage() {
    return V2;
  }

  @Override
  protected ImageRef unhealthyImage() {
    return UNHEALTHY;
  }

  @Override
  protected ImageRef crashingImage() {
    return CRASH;
  }

  @Override
  protected int crashExitCode() {
    return 1;
  }

  @Override
  protected RegistryCredential credential() {
    return new RegistryCredential(REGISTRY, "AWS", PASSWORD, null);
  }

  @Override
  protected String uniqueName(String suffix) {
    return "fake-" + names.incrementAndGet() + "-" + suffix;
  }

  @Override
  protected LocalImage disposableImage(String repositoryName) {
    ImageRef image = ImageRef.parse(repositoryName + "@" + randomDigest().value());
    runtime.publish(image, Behaviour.HEALTHY);
    String id = runtime.pull(image, credential());
    return runtime.images(repositoryName).stream()
        .filter(i -> i.id().equals(id))
        .findFirst()
        .orElseThrow();
  }

  @Override
  protected void pause(Duration duration) {
    // The fake's engine acts at once; nothing to wait for.
  }

  private static ImageRef image(String digit) {
    return ImageRef.parse(REGISTRY + "/driftguard-test/web@sha256:" + digit.repeat(64));
  }
}
