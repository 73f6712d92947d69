package dev.driftguard.reconcile;

import dev.driftguard.host.StateStore;
import dev.driftguard.model.ServiceState;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The agent's memory of each service, read once at start and written through to the
 * {@link StateStore} on every change, so a crash at any point loses nothing that was decided.
 */
public final class StateBook {
  private final StateStore store;
  private final Map<String, ServiceState> states;

  public StateBook(StateStore store) {
    this.store = store;
    this.states = new ConcurrentHashMap<>(store.load());
  }

  public ServiceState get(String service) {
    return states.computeIfAbsent(service, ServiceState::initial);
  }

  public void put(ServiceState state) {
    if (!state.equals(states.get(state.service()))) {
      store.save(state);
      states.put(state.service(), state);
    }
  }
}
