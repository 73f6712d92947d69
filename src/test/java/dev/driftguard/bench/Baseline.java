package dev.driftguard.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The hand-made baseline the seeds start from: a shell loop that, every poll, reads the pinned
 * image with the AWS CLI ({@code aws ssm get-parameter}, Debian's awscli when installed), looks at
 * the container with {@code docker inspect} and checks its health with {@code curl}; it decides
 * nothing. Its CPU (the loop and every child it waited for) is measured with {@code /usr/bin/time}.
 */
final class Baseline {
  private static final String PARAMETER = "/driftguard/bench-baseline/image";

  private final Process process;
  private final Path times;
  final String awsVersion;
  int polls;

  private Baseline(Process process, Path times, String awsVersion) {
    this.process = process;
    this.times = times;
    this.awsVersion = awsVersion;
  }

  /** Starts polling {@code agent}'s container and health endpoint every poll interval. */
  static Baseline start(AgentBench bench, BenchAgent agent)
      throws IOException, InterruptedException {
    Path aws =
        Files.isExecutable(Path.of("/usr/bin/aws")) ? Path.of("/usr/bin/aws") : Path.of("aws");
    String version = run(aws + " --version").strip();
    bench.pin(PARAMETER, bench.image("v1").toString());
    Path dir = agent.dir.getParent().resolve("baseline");
    Files.createDirectories(dir);
    Path times = dir.resolve("time");
    String loop =
        """
        trap 'exit 0' TERM
        while :; do
          %s ssm get-parameter --region us-east-1 --endpoint-url %s --name %s \
            --query Parameter.Value --output text >/dev/null
          docker inspect --format '{{.State.Status}} {{index .Config.Labels "driftguard.digest"}}' %s >/dev/null
          curl -fsS -o /dev/null --max-time 1 http://127.0.0.1:%d/healthz
          echo poll >>%s
          sleep %d & wait $!
        done
        """
            .formatted(
                aws,
                bench.awsEndpoint(),
                PARAMETER,
                agent.service,
                agent.appPort,
                dir.resolve("polls"),
                bench.options().poll.toSeconds());
    Files.deleteIfExists(dir.resolve("polls"));
    ProcessBuilder pb =
        new ProcessBuilder(
                "/usr/bin/time", "-f", "%U %S", "-o", times.toString(), "bash", "-c", loop)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("log").toFile()));
    pb.environment().putAll(bench.awsEnv());
    pb.environment().put("AWS_PAGER", "");
    pb.environment().put("DOCKER_HOST", bench.dockerHost());
    return new Baseline(pb.start(), times, version + " at " + aws);
  }

  void stop() throws IOException, InterruptedException {
    // SIGTERM to bash (the child of time); time then writes the loop's CPU, children included.
    process
        .descendants()
        .filter(p -> p.info().command().orElse("").endsWith("bash"))
        .findFirst()
        .ifPresent(ProcessHandle::destroy);
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
    Path polls = times.resolveSibling("polls");
    polls = Files.exists(polls) ? polls : null;
    this.polls = polls == null ? 0 : Files.readAllLines(polls).size();
  }

  double cpuMillisPerPoll() throws IOException {
    List<String> lines = Files.readAllLines(times);
    String[] f = lines.get(lines.size() - 1).strip().split("\\s+");
    double cpu = Double.parseDouble(f[0]) + Double.parseDouble(f[1]);
    return polls == 0 ? Double.NaN : cpu * 1000 / polls;
  }

  private static String run(String command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("bash", "-c", command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    p.waitFor();
    return out;
  }
}
