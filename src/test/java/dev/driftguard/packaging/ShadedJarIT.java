package dev.driftguard.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftguard.testing.TestEnv;
import dev.driftguard.testing.aws.LocalAws;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded jar the packages install (target/driftguard.jar), after the shade plugin left out what
 * the agent never loads (pom.xml, docs/design/jvm-footprint.md "The jar"): it stays under 40 MB,
 * every command starts from it, and every AWS SDK operation the agent's classes call has all the
 * SDK classes it can reach in the jar. The commands run as operators run them: {@code java -jar},
 * against the local AWS endpoint and, for {@code once}, the engine and registry of {@code
 * test/env/up}.
 */
class ShadedJarIT {
  private static final long MAX_BYTES = 40_000_000L;
  private static final Path JAR =
      Path.of(System.getProperty("driftguard.jar", "target/driftguard.jar"));
  private static final Pattern CLIENT_CALL =
      Pattern.compile("software/amazon/awssdk/services/([a-z0-9]+)/([A-Za-z0-9]+)Client");

  private static LocalAws aws;
  @TempDir static Path dir;

  @BeforeAll
  static void start() {
    aws = LocalAws.builder().registryPasswordFromTestEnv().start();
  }

  @AfterAll
  static void stop() {
    if (aws != null) {
      aws.close();
    }
  }

  @Test
  void jar_isAtMost40MB() throws IOException {
    assertThat(Files.size(JAR)).isLessThanOrEqualTo(MAX_BYTES);
  }

  @Test
  void versionHelpAndValidate_start() throws Exception {
    assertThat(run("version"))
        .satisfies(r -> assertThat(r.code).as(r.output).isZero())
        .satisfies(r -> assertThat(r.output).startsWith("driftguard "));
    assertThat(run("--help").code).isZero();
    // As an AMI has it: the packaged defaults plus the site's drop-in that Packer bakes.
    Path repo = Path.of(System.getProperty("driftguard.repo", "."));
    Path etc = Files.createTempDirectory("shipped-config");
    Files.createDirectories(etc.resolve("conf.d"));
    Files.copy(repo.resolve("agent/etc/driftguard.yaml"), etc.resolve("driftguard.yaml"));
    Files.copy(repo.resolve("packer/files/50-site.yaml"), etc.resolve("conf.d/50-site.yaml"));
    Run validate = run("--config", etc.resolve("driftguard.yaml").toString(), "validate");
    assertThat(validate.code).as(validate.output).isZero();
    assertThat(run("pin", "--help").code).isZero();
    assertThat(run("rollout-status", "--help").code).isZero();
  }

  @Test
  void status_startsAndSaysTheAgentIsNotThere() throws Exception {
    Path config = config("status", "web", "");
    Run status = run("--config", config.toString(), "status");
    assertThat(status.code).as(status.output).isEqualTo(1);
    assertThat(status.output).contains("cannot reach the agent");
  }

  @Test
  void pinAndRolloutStatus_runTheirSdkCallsFromTheJar() throws Exception {
    String registry = aws.ecr().registryHost();
    String digest = "sha256:" + "3c".repeat(32);
    aws.ecr().putImage("jar-web", "v1", digest);
    String instance = dev.driftguard.testing.aws.Ec2Service.newInstanceId();
    aws.addInstance(instance, Map.of("Name", "jarweb"));
    Path config = config("operator", "jarweb", registry);

    // SSM PutParameter/GetParameters and ECR DescribeImages.
    Run pin = run("--config", config.toString(), "pin", "jarweb", registry + "/jar-web:v1");
    assertThat(pin.code).as(pin.output).isZero();
    assertThat(aws.ssm().value("/driftguard/jarweb/image"))
        .contains(registry + "/jar-web:v1@" + digest);

    // EC2 DescribeInstances (the filtered EC2 model) and SSM.
    Run rollout = run("--config", config.toString(), "rollout-status", "jarweb");
    assertThat(rollout.output)
        .as(rollout.output)
        .doesNotContain("NoClassDefFound", "ClassNotFound");
    assertThat(aws.calls("ec2", "DescribeInstances")).isPositive();
  }

  @Test
  void once_inLocalMode_deploysFromTheJar() throws Exception {
    TestEnv env = TestEnv.load();
    String container = "dg-jar-" + Long.toHexString(System.nanoTime() & 0xffffffL);
    Path state = Files.createDirectories(dir.resolve("once-state"));
    Path desired = Files.createDirectories(dir.resolve("desired")).resolve(container);
    Files.writeString(desired, env.image("v1") + "\n");
    Path config = dir.resolve("once.yaml");
    Files.writeString(
        config,
        """
        agent:
          stateDir: %s
          docker: { host: "%s" }
          aws: { region: us-east-1, instanceId: i-0000000000000a01 }
          registries:
            - host: "%s"
              username: AWS
              passwordFile: %s
        services:
          - name: %s
            desired: { file: %s, allowedRegistries: ["%s"] }
            container: { stopTimeout: 2s }
            health: { type: docker, deadline: 30s }
        """
            .formatted(
                state,
                env.dockerHost(),
                env.registryHost(),
                env.get("registry.password.file"),
                container,
                desired,
                env.registryHost()));
    try {
      Run once = run("--config", config.toString(), "once");
      assertThat(once.code).as(once.output).isZero();
      assertThat(once.output).contains(container + ": in sync");
    } finally {
      new ProcessBuilder(
              "docker", "rm", "-f", container, container + "-previous", container + "-next")
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start()
          .waitFor(60, TimeUnit.SECONDS);
    }
  }

  /**
   * For every operation of an SDK client that a dev.driftguard class in the jar calls, every class
   * of that service reachable from the operation (request, response, marshaller, the shapes and
   * enums they use) is in the jar, and so is every top-level request class (the JVM loads them all
   * when it verifies the client). What is missing is printed as pom.xml includes.
   */
  @Test
  void everySdkOperationTheAgentCalls_hasItsClassesInTheJar() throws IOException {
    Map<String, Set<String>> operations = new HashMap<>();
    Set<String> inJar = new HashSet<>();
    try (JarFile jar = new JarFile(JAR.toFile())) {
      for (JarEntry e : java.util.Collections.list(jar.entries())) {
        inJar.add(e.getName());
        if (e.getName().startsWith("dev/driftguard/") && e.getName().endsWith(".class")) {
          try (InputStream in = jar.getInputStream(e)) {
            ClassRefs refs = ClassRefs.read(in);
            for (String[] m : refs.methodRefs) {
              Matcher matcher = CLIENT_CALL.matcher(m[0]);
              if (matcher.matches() && !m[1].equals("builder") && !m[1].equals("create")) {
                operations.computeIfAbsent(m[0], k -> new TreeSet<>()).add(m[1]);
              }
            }
          }
        }
      }
    }
    assertThat(operations).as("the agent calls AWS SDK clients").isNotEmpty();
    // ~/.m2/repository/software/amazon/awssdk/ec2/VERSION/ec2-VERSION.jar: the full SDK jars. Not
    // found through Ec2Client's own class: under failsafe the shaded jar may come first.
    String version = software.amazon.awssdk.core.util.VersionInfo.SDK_VERSION;
    Path sdkJars =
        Path.of(
                System.getProperty(
                    "maven.repo.local", System.getProperty("user.home") + "/.m2/repository"))
            .resolve("software/amazon/awssdk");
    List<String> missing = new ArrayList<>();
    for (var entry : operations.entrySet()) {
      Matcher m = CLIENT_CALL.matcher(entry.getKey());
      m.matches();
      String service = m.group(1);
      String pkg = "software/amazon/awssdk/services/" + service + "/";
      Path sdkJar =
          sdkJars.resolve(service).resolve(version).resolve(service + "-" + version + ".jar");
      try (JarFile full = new JarFile(sdkJar.toFile())) {
        Deque<String> todo = new ArrayDeque<>();
        for (String operation : entry.getValue()) {
          String op =
              Character.toUpperCase(operation.charAt(0))
                  + operation.substring(1).replace("Paginator", "");
          todo.add(pkg + "model/" + op + "Request");
          todo.add(pkg + "model/" + op + "Response");
          todo.add(pkg + "transform/" + op + "RequestMarshaller");
          if (operation.endsWith("Paginator")) {
            todo.add(pkg + "paginators/" + op + "Iterable");
          }
        }
        Set<String> closure = new TreeSet<>();
        while (!todo.isEmpty()) {
          String c = todo.pop();
          JarEntry e = full.getJarEntry(c + ".class");
          if (e == null || !closure.add(c)) {
            continue;
          }
          // The top-level client classes reach every operation; they are kept whole anyway.
          if (c.substring(pkg.length()).indexOf('/') < 0) {
            continue;
          }
          try (InputStream in = full.getInputStream(e)) {
            for (String ref : ClassRefs.read(in).classes) {
              if (ref.startsWith(pkg) && !closure.contains(ref)) {
                todo.add(ref);
              }
            }
          }
          // Inner classes (builders) come with their class.
          for (JarEntry inner : java.util.Collections.list(full.entries())) {
            if (inner.getName().startsWith(c + "$") && inner.getName().endsWith(".class")) {
              todo.add(inner.getName().substring(0, inner.getName().length() - 6));
            }
          }
        }
        for (JarEntry e : java.util.Collections.list(full.entries())) {
          String name = e.getName();
          if (name.startsWith(pkg + "model/")
              && name.endsWith("Request.class")
              && name.indexOf('$') < 0
              && !inJar.contains(name)) {
            missing.add(name);
          }
        }
        for (String c : closure) {
          if (!inJar.contains(c + ".class")) {
            missing.add(c + ".class");
          }
        }
      }
    }
    assertThat(missing)
        .as(
            "SDK classes the agent can reach but the shade filters left out; add to pom.xml:\n"
                + String.join(
                    "\n", missing.stream().map(c -> "<include>" + c + "</include>").toList()))
        .isEmpty();
  }

  private static Path config(String name, String service, String registry) throws IOException {
    Path file = dir.resolve(name + ".yaml");
    Files.writeString(
        file,
        """
        agent:
          status: { listen: "127.0.0.1:%d" }
          aws:
            region: us-east-1
            endpoints: { ssm: "%s", ecr: "%s", ec2: "%s" }
        services:
          - name: "%s"
            desired:
              allowedRegistries: ["%s"]
        """
            .formatted(
                closedPort(),
                aws.endpoint(),
                aws.endpoint(),
                aws.endpoint(),
                service,
                registry.isEmpty() ? "123456789012.dkr.ecr.us-east-1.amazonaws.com" : registry));
    return file;
  }

  private static int closedPort() throws IOException {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private record Run(int code, String output) {}

  private static Run run(String... args) throws IOException, InterruptedException {
    List<String> argv =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar",
                JAR.toString()));
    argv.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
    pb.environment().put("AWS_ACCESS_KEY_ID", "AKIALOCALAWSTEST0000");
    pb.environment().put("AWS_SECRET_ACCESS_KEY", "local-aws-secret");
    Process p = pb.start();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    p.getInputStream().transferTo(out);
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("driftguard " + argv + " did not finish");
    }
    return new Run(p.exitValue(), out.toString(StandardCharsets.UTF_8));
  }

  /** The class names and method references in a class file's constant pool. */
  private static final class ClassRefs {
    final Set<String> classes = new HashSet<>();
    final List<String[]> methodRefs = new ArrayList<>();

    static ClassRefs read(InputStream stream) throws IOException {
      DataInputStream in = new DataInputStream(stream);
      in.readInt();
      in.readUnsignedShort();
      in.readUnsignedShort();
      int count = in.readUnsignedShort();
      String[] utf = new String[count];
      int[] classIndex = new int[count];
      int[][] refs = new int[count][];
      int[] nameAndTypeName = new int[count];
      for (int i = 1; i < count; i++) {
        int tag = in.readUnsignedByte();
        switch (tag) {
          case 1 -> utf[i] = in.readUTF();
          case 3, 4 -> in.readInt();
          case 5, 6 -> {
            in.readLong();
            i++;
          }
          case 7 -> classIndex[i] = in.readUnsignedShort();
          case 8, 16, 19, 20 -> in.readUnsignedShort();
          case 9, 10, 11 -> refs[i] = new int[] {in.readUnsignedShort(), in.readUnsignedShort()};
          case 12 -> {
            nameAndTypeName[i] = in.readUnsignedShort();
            in.readUnsignedShort();
          }
          case 15 -> {
            in.readUnsignedByte();
            in.readUnsignedShort();
          }
          case 17, 18 -> in.readInt();
          default -> throw new IOException("unknown constant pool tag " + tag);
        }
      }
      ClassRefs result = new ClassRefs();
      Pattern descriptorClass = Pattern.compile("L([A-Za-z0-9_/$]+)[;<]");
      for (int i = 1; i < count; i++) {
        if (classIndex[i] != 0) {
          result.classes.add(utf[classIndex[i]].replaceFirst("^\\[+L?", "").replaceFirst(";$", ""));
        }
        if (utf[i] != null) {
          Matcher m = descriptorClass.matcher(utf[i]);
          while (m.find()) {
            result.classes.add(m.group(1));
          }
        }
        if (refs[i] != null) {
          result.methodRefs.add(
              new String[] {utf[classIndex[refs[i][0]]], utf[nameAndTypeName[refs[i][1]]]});
        }
      }
      return result;
    }
  }
}
