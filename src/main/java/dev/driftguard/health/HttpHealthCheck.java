package dev.driftguard.health;

import dev.driftguard.model.ContainerInfo;
import dev.driftguard.model.ContainerSpec;
import dev.driftguard.model.HealthSpec;
import dev.driftguard.model.PortBinding;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Health type {@code http}: a GET of {@code http://<probe address>:<host port><path>} through the
 * host port that publishes {@code spec.port()}; 2xx and 3xx pass. Redirects are not followed (a
 * redirect means the app answers), and the whole exchange is bounded by {@code spec.timeout()}.
 */
public final class HttpHealthCheck implements HealthCheck {
  private final HttpClient client;

  HttpHealthCheck(HttpClient client) {
    this.client = client;
  }

  /** A check with its own HTTP client; reuse it, a client owns a selector thread. */
  public static HttpHealthCheck create() {
    return new HttpHealthCheck(
        HttpClient.newBuilder()
            // Probes go to this host; a proxy from the JVM's settings must not see them.
            .proxy(HttpClient.Builder.NO_PROXY)
            .followRedirects(HttpClient.Redirect.NEVER)
            .version(HttpClient.Version.HTTP_1_1)
            .build());
  }

  @Override
  public ProbeResult probe(ContainerInfo container, ContainerSpec containerSpec, HealthSpec spec) {
    if (!container.running()) {
      return ProbeResult.fail("container is " + container.state().name().toLowerCase(Locale.ROOT));
    }
    Optional<PortBinding> binding = Probes.tcpBinding(containerSpec, spec.port());
    if (binding.isEmpty()) {
      return ProbeResult.fail(Probes.notPublished(spec.port()));
    }
    URI uri =
        URI.create(
            "http://"
                + Probes.uriHost(binding.get().probeAddress())
                + ":"
                + binding.get().hostPort()
                + spec.path());
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(spec.timeout()).GET().build();
    // The request timeout does not cover connecting; bounding the future covers everything.
    CompletableFuture<HttpResponse<Void>> response =
        client.sendAsync(request, HttpResponse.BodyHandlers.discarding());
    try {
      int status = response.get(spec.timeout().toMillis(), TimeUnit.MILLISECONDS).statusCode();
      String detail = "HTTP " + status;
      return status >= 200 && status < 400 ? ProbeResult.pass(detail) : ProbeResult.fail(detail);
    } catch (TimeoutException e) {
      response.cancel(true);
      return ProbeResult.fail("no answer within " + spec.timeout().toMillis() + " ms");
    } catch (InterruptedException e) {
      response.cancel(true);
      Thread.currentThread().interrupt();
      return ProbeResult.fail("interrupted");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      if (cause instanceof ConnectException) {
        return ProbeResult.fail("connection refused");
      }
      if (cause instanceof java.net.http.HttpTimeoutException) {
        return ProbeResult.fail("no answer within " + spec.timeout().toMillis() + " ms");
      }
      return ProbeResult.fail(
          cause.getClass().getSimpleName()
              + (cause.getMessage() == null ? "" : ": " + cause.getMessage()));
    }
  }
}
