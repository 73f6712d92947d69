package dev.driftguard.reconcile;

import dev.driftguard.host.StateStore;
import dev.driftguard.model.ServiceState;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's memory of each service, read once at start and written through to the {@link
 * StateStore} on every change, so a crash at any point loses nothing that was decided.
 *
 * <p>A store that cannot be written (a read-only or full state directory) never stops the agent:
 * the state is kept in memory, the failure is logged once and reported ({@link #writeError}, for
 * /healthz and a metric), and every later change tries the store again.
 */
public final class StateBook {
  private static final Logger logger = LoggerFactory.getLogger(StateBook.class);

  private final StateStore store;
  private final Map<String, ServiceState> states;
  private volatile String writeError;

  public StateBook(StateStore store) {
    this.store = store;
    this.states = new ConcurrentHashMap<>(store.load());
  }

  public ServiceState get(String service) {
    return states.computeIfAbsent(service, ServiceState::initial);
  }

  public void put(ServiceState state) {
    if (state.equals(states.get(state.service()))) {
      return;
    }
    states.put(state.service(), state);
    try {
      store.save(state);
      if (writeError != null) {
        logger.info("state file writable again");
        writeError = null;
      }
    } catch (RuntimeException e) {
      if (writeError == null) {
        logger.error(
            "cannot save the agent's state, keeping it in memory and serving on: {}",
            e.getMessage());
      }
      writeError = String.valueOf(e.getMessage());
    }
  }

  /** Why the last save failed, while saves fail; empty when the state is safely stored. */
  public Optional<String> writeError() {
    return Optional.ofNullable(writeError);
  }
}
