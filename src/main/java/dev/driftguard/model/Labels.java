package dev.driftguard.model;

/** Labels on every container the agent creates (DESIGN 2.3). */
public final class Labels {
  public static final String SERVICE = "driftguard.service";
  public static final String DIGEST = "driftguard.digest";
  public static final String SPEC_HASH = "driftguard.spec-hash";

  /** The full pinned reference, so a restore needs no other record. */
  public static final String IMAGE = "driftguard.image";

  /** The host port the container's traffic port is published on (start-first alternates it). */
  public static final String HOST_PORT = "driftguard.host-port";

  private Labels() {}
}
