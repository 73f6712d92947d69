package dev.driftguard.cli;

/** The agent's version, from the jar manifest (a development build says so). */
final class Version {
  private Version() {}

  static String current() {
    String version = Main.class.getPackage().getImplementationVersion();
    return version == null ? "development build" : version;
  }
}
