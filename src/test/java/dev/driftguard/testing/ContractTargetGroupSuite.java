package dev.driftguard.testing;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * A contract suite run on a new {@link ContractTargetGroup} per test, which each concrete subclass
 * names: the adapters over LocalAws or the fake.
 */
public abstract class ContractTargetGroupSuite {
  protected ContractTargetGroup group;

  /** The implementation under test, around a new target group. */
  protected abstract ContractTargetGroup newGroup();

  @BeforeEach
  void createGroup() {
    group = newGroup();
  }

  @AfterEach
  void closeGroup() {
    group.close();
  }
}
