package dev.driftguard.host;

import dev.driftguard.model.ServiceState;
import java.util.Map;

/**
 * Port: what the agent remembers across restarts. {@link #save} is atomic: after a crash at any
 * moment, {@link #load} returns either the previous or the new content, never a torn file. State
 * written on another instance is never loaded.
 */
public interface StateStore {

  /** Every service's state; empty when nothing was saved yet. */
  Map<String, ServiceState> load();

  /**
   * Replaces the stored state of one service.
   *
   * @throws StateStoreException when it cannot be made durable (read-only or full state directory);
   *     the caller keeps serving from what it holds in memory
   */
  void save(ServiceState state);
}
