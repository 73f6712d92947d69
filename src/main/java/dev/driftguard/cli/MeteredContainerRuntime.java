package dev.driftguard.cli;

import dev.driftguard.metrics.AgentMetrics;
import dev.driftguard.model.ContainerInfo;
import dev.driftguard.model.ImageRef;
import dev.driftguard.model.RegistryCredential;
import dev.driftguard.model.RunSpec;
import dev.driftguard.runtime.ContainerRuntime;
import dev.driftguard.runtime.ContainerRuntimeException;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Counts failed engine calls into {@code driftguard_docker_errors_total{operation}} and otherwise
 * passes every call through unchanged. A decorator rather than a listener event because the
 * deployer handles most engine failures itself (a start that fails rolls back), so they never reach
 * {@link dev.driftguard.reconcile.ReconcileListener#passFailed}. It lives in the composition root
 * because {@code metrics} does not import the runtime port.
 */
final class MeteredContainerRuntime implements ContainerRuntime {
  private final ContainerRuntime delegate;
  private final AgentMetrics metrics;

  MeteredContainerRuntime(ContainerRuntime delegate, AgentMetrics metrics) {
    this.delegate = delegate;
    this.metrics = metrics;
  }

  @Override
  public String pull(ImageRef image, RegistryCredential credential) {
    return counted(() -> delegate.pull(image, credential));
  }

  @Override
  public Optional<ContainerInfo> inspect(String name) {
    return counted(() -> delegate.inspect(name));
  }

  @Override
  public Map<String, ContainerInfo> inspectAll(Collection<String> names) {
    return counted(() -> delegate.inspectAll(names));
  }

  @Override
  public ContainerInfo create(String name, RunSpec spec) {
    return counted(() -> delegate.create(name, spec));
  }

  @Override
  public void start(String name) {
    counted(() -> run(() -> delegate.start(name)));
  }

  @Override
  public void stop(String name, String signal, Duration timeout) {
    counted(() -> run(() -> delegate.stop(name, signal, timeout)));
  }

  @Override
  public void remove(String name) {
    counted(() -> run(() -> delegate.remove(name)));
  }

  @Override
  public void rename(String from, String to) {
    counted(() -> run(() -> delegate.rename(from, to)));
  }

  @Override
  public List<LocalImage> images(String repositoryName) {
    return counted(() -> delegate.images(repositoryName));
  }

  @Override
  public void removeImage(String imageId) {
    counted(() -> run(() -> delegate.removeImage(imageId)));
  }

  @Override
  public EngineInfo engineInfo() {
    return counted(delegate::engineInfo);
  }

  private <T> T counted(Supplier<T> call) {
    try {
      return call.get();
    } catch (ContainerRuntimeException e) {
      metrics.dockerError(e.operation());
      throw e;
    }
  }

  private static Void run(Runnable call) {
    call.run();
    return null;
  }
}
