package dev.driftguard.host;

import dev.driftguard.model.ServiceState;
import java.util.Map;

/**
 * Port: what the agent remembers across restarts. {@link #save} is atomic: after a crash at any
 * moment, {@link #load} returns either the previous or the new content, never a torn file.
 */
public interface StateStore {

  /** Every service's state; empty when nothing was saved yet. */
  Map<String, ServiceState> load();

  /** Replaces the stored state of one service. */
  void save(ServiceState state);
}
