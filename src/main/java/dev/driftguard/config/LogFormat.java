package dev.driftguard.config;

/** How the agent writes its log lines ({@code agent.log.format}). */
public enum LogFormat {
  /** One human-readable line per event with bracketed key=value context. */
  TEXT,
  /** One JSON object per line, for log shippers. */
  JSON
}
