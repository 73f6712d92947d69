import com.sun.net.httpserver.HttpServer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ecr.EcrClient;
import software.amazon.awssdk.services.ssm.SsmClient;

/**
 * A stand-in for the agent's steady state, used to size jvm.options while the agent itself is
 * still being written: real SDK clients (SSM GetParameters, ECR GetAuthorizationToken) against a
 * local endpoint, a Jackson YAML parse, a Prometheus scrape, docker-java classes, logback, all in
 * a loop. Run by test/packaging/measure-footprint; prints nothing useful itself.
 */
public class Probe {
  public static void main(String[] args) throws Exception {
    long seconds = Long.parseLong(args[0]);
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", exchange -> {
      String target = exchange.getRequestHeaders().getFirst("X-amz-target");
      exchange.getRequestBody().readAllBytes();
      String body = target != null && target.contains("GetAuthorizationToken")
          ? "{\"authorizationData\":[{\"authorizationToken\":\"QVdTOnNlY3JldA==\",\"expiresAt\":1.9E9,\"proxyEndpoint\":\"https://x\"}]}"
          : "{\"Parameters\":[{\"Name\":\"/driftguard/web/image\",\"Type\":\"String\",\"Value\":\"r/w@sha256:" + "a".repeat(64) + "\",\"Version\":3}],\"InvalidParameters\":[]}";
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "application/x-amz-json-1.1");
      exchange.sendResponseHeaders(200, bytes.length);
      exchange.getResponseBody().write(bytes);
      exchange.close();
    });
    server.start();
    URI endpoint = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    var http = UrlConnectionHttpClient.builder().build();
    var creds = StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDEXAMPLE", "secret"));
    SsmClient ssm = SsmClient.builder().region(Region.US_EAST_1).httpClient(http)
        .credentialsProvider(creds).endpointOverride(endpoint).build();
    EcrClient ecr = EcrClient.builder().region(Region.US_EAST_1).httpClient(http)
        .credentialsProvider(creds).endpointOverride(endpoint).build();
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    Class.forName("com.github.dockerjava.core.DefaultDockerClientConfig");
    Class.forName("com.github.dockerjava.httpclient5.ApacheDockerHttpClient");
    org.slf4j.LoggerFactory.getLogger(Probe.class).info("probe started");
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    while (System.nanoTime() < end) {
      ssm.getParameters(b -> b.names("/driftguard/web/image"));
      ecr.getAuthorizationToken(b -> {});
      yaml.readValue("services:\n  - name: web\n    health: {type: http, port: 8080}\n", Map.class);
      registry.counter("driftguard_reconcile_passes").increment();
      registry.scrape();
      Thread.sleep(50);
    }
    System.gc();
    var mem = java.lang.management.ManagementFactory.getMemoryMXBean();
    String status = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/status"));
    String rss = status.lines().filter(l -> l.startsWith("VmRSS") || l.startsWith("VmHWM"))
        .map(l -> l.replaceAll("\\s+", " ")).reduce((a, b) -> a + "; " + b).orElse("?");
    System.out.printf("%s; heap used %d KiB; non-heap used %d KiB; classes %d%n", rss,
        mem.getHeapMemoryUsage().getUsed() / 1024, mem.getNonHeapMemoryUsage().getUsed() / 1024,
        java.lang.management.ManagementFactory.getClassLoadingMXBean().getLoadedClassCount());
    System.exit(0);
  }
}
