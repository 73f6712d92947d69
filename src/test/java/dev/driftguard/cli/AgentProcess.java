package dev.driftguard.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The agent as operators run it: the shaded jar in its own JVM, output captured to a file. Public
 * for the end-to-end fleet test ({@code dev.driftguard.e2e}), which runs several at once.
 */
public final class AgentProcess implements AutoCloseable {
  private final Process process;
  private final Path output;

  private AgentProcess(Process process, Path output) {
    this.process = process;
    this.output = output;
  }

  public static AgentProcess start(
      Path config, Map<String, String> env, Path output, String... command) throws IOException {
    String jar = System.getProperty("driftguard.jar", "target/driftguard.jar");
    List<String> argv =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC",
                "-Xshare:auto",
                "-jar",
                jar,
                "--config",
                config.toString()));
    argv.addAll(List.of(command));
    ProcessBuilder builder =
        new ProcessBuilder(argv)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()));
    builder.environment().putAll(env);
    return new AgentProcess(builder.start(), output);
  }

  /** Runs a command to completion and returns its exit code. */
  public static int run(
      Path config, Map<String, String> env, Path output, Duration timeout, String... command)
      throws IOException, InterruptedException {
    try (AgentProcess p = start(config, env, output, command)) {
      return p.waitFor(timeout);
    }
  }

  public int waitFor(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("agent did not finish within " + timeout + "; output:\n" + output());
    }
    return process.exitValue();
  }

  /** SIGTERM, as systemd stops the service. */
  public void terminate() {
    process.destroy();
  }

  /** SIGKILL: no shutdown hook, no clean-up, like a crash or the OOM killer. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  public String output() {
    try {
      return Files.readString(output);
    } catch (IOException e) {
      return "(no output: " + e.getMessage() + ")";
    }
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
    }
  }
}
