package dev.driftguard.metrics;

import dev.driftguard.reconcile.Action;
import dev.driftguard.reconcile.ReconcileListener;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Hears when every configured service has been through its first reconcile pass, finished or
 * failed, and then runs an action once with a one-line summary. That moment is when the agent
 * counts as started for its supervisor ({@code READY=1}): it has read the desired state and seen
 * (and, where needed, converged) every container once.
 */
public final class FirstPass implements ReconcileListener {
  private final Set<String> pending;
  private final int services;
  private final Consumer<String> onDone;
  private int inSync;
  private int failed;
  private boolean done;

  /**
   * @param services the configured service names
   * @param onDone receives the summary, e.g. {@code "first reconcile pass done: 2 services, 2 in
   *     sync"}
   */
  public FirstPass(Collection<String> services, Consumer<String> onDone) {
    this.pending = new LinkedHashSet<>(services);
    this.services = pending.size();
    this.onDone = onDone;
  }

  @Override
  public void passFinished(String service, boolean inSync, Action action) {
    seen(service, inSync, false);
  }

  @Override
  public void passFailed(String service, RuntimeException error) {
    seen(service, false, true);
  }

  private void seen(String service, boolean serviceInSync, boolean serviceFailed) {
    String summary;
    synchronized (this) {
      if (done || !pending.remove(service)) {
        return;
      }
      inSync += serviceInSync ? 1 : 0;
      failed += serviceFailed ? 1 : 0;
      if (!pending.isEmpty()) {
        return;
      }
      done = true;
      summary =
          "first reconcile pass done: "
              + services
              + (services == 1 ? " service, " : " services, ")
              + inSync
              + " in sync"
              + (failed > 0 ? ", " + failed + " failed" : "");
    }
    onDone.accept(summary);
  }
}
