package dev.driftguard.host;

import java.time.Duration;
import java.util.Optional;

/** No supervisor (a shell, a container, {@code Type=exec}): nothing to tell. */
enum NoServiceManager implements ServiceManager {
  INSTANCE;

  @Override
  public void ready(String status) {}

  @Override
  public void alive() {}

  @Override
  public void extendStartTimeout(Duration extension) {}

  @Override
  public void stopping() {}

  @Override
  public Optional<Duration> watchdogTimeout() {
    return Optional.empty();
  }

  @Override
  public boolean supervised() {
    return false;
  }
}
