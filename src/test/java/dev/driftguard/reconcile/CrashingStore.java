package dev.driftguard.reconcile;

import dev.driftguard.model.Phase;
import dev.driftguard.model.ServiceState;
import dev.driftguard.testing.InMemoryStateStore;
import java.util.Map;

/**
 * Simulates the agent dying right after it saved a given phase (what SIGKILL would do). An {@link
 * Error}, so no {@code catch (RuntimeException)} in the agent can handle it.
 */
final class CrashingStore {
  static final class Crash extends Error {
    private static final long serialVersionUID = 1L;

    Crash(Phase phase) {
      super("simulated crash after saving " + phase);
    }
  }

  private CrashingStore() {}

  static void crashAfterSaving(AgentHarness host, Phase phase) {
    InMemoryStateStore durable = host.store;
    StateBook crashing =
        new StateBook(
            new dev.driftguard.host.StateStore() {
              @Override
              public Map<String, ServiceState> load() {
                return durable.load();
              }

              @Override
              public void save(ServiceState state) {
                durable.save(state);
                if (state.phase() == phase) {
                  throw new Crash(phase);
                }
              }
            });
    host.replaceStates(crashing);
  }
}
