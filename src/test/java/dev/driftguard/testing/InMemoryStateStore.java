package dev.driftguard.testing;

import dev.driftguard.host.StateStore;
import dev.driftguard.model.ServiceState;
import java.util.HashMap;
import java.util.Map;

/** A state store that survives a simulated agent restart by being handed to the next agent. */
public final class InMemoryStateStore implements StateStore {
  private final Map<String, ServiceState> states = new HashMap<>();

  @Override
  public synchronized Map<String, ServiceState> load() {
    return Map.copyOf(states);
  }

  @Override
  public synchronized void save(ServiceState state) {
    states.put(state.service(), state);
  }
}
