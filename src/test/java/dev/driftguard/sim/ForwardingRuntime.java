package dev.driftguard.sim;

import dev.driftguard.model.ContainerInfo;
import dev.driftguard.model.ImageRef;
import dev.driftguard.model.RegistryCredential;
import dev.driftguard.model.RunSpec;
import dev.driftguard.runtime.ContainerRuntime;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** A {@link ContainerRuntime} that hands every call to another; subclasses watch some. */
class ForwardingRuntime implements ContainerRuntime {
  private final ContainerRuntime delegate;

  ForwardingRuntime(ContainerRuntime delegate) {
    this.delegate = delegate;
  }

  @Override
  public String pull(ImageRef image, RegistryCredential credential) {
    return delegate.pull(image, credential);
  }

  @Override
  public Optional<ContainerInfo> inspect(String name) {
    return delegate.inspect(name);
  }

  @Override
  public ContainerInfo create(String name, RunSpec spec) {
    return delegate.create(name, spec);
  }

  @Override
  public void start(String name) {
    delegate.start(name);
  }

  @Override
  public void stop(String name, String signal, Duration timeout) {
    delegate.stop(name, signal, timeout);
  }

  @Override
  public void remove(String name) {
    delegate.remove(name);
  }

  @Override
  public void rename(String from, String to) {
    delegate.rename(from, to);
  }

  @Override
  public List<LocalImage> images(String repositoryName) {
    return delegate.images(repositoryName);
  }

  @Override
  public void removeImage(String imageId) {
    delegate.removeImage(imageId);
  }

  @Override
  public java.util.Map<String, ContainerInfo> inspectAll(java.util.Collection<String> names) {
    return delegate.inspectAll(names);
  }

  @Override
  public EngineInfo engineInfo() {
    return delegate.engineInfo();
  }
}
