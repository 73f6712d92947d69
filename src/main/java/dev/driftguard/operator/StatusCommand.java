package dev.driftguard.operator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.driftguard.config.ListenAddress;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;

/**
 * {@code driftguard status [--json]}: asks the agent on this host for {@code /status} (loopback,
 * {@code agent.status.listen}) and prints it as a table, or as the JSON document itself.
 */
final class StatusCommand {
  /** The agent answers from memory; anything slower than this is a hung agent, not a slow one. */
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);

  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);

  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http;
  private final Clock clock;
  private final PrintStream out;

  StatusCommand(HttpClient http, Clock clock, PrintStream out) {
    this.http = http;
    this.clock = clock;
    this.out = out;
  }

  static HttpClient newHttpClient() {
    return HttpClient.newBuilder()
        .connectTimeout(CONNECT_TIMEOUT)
        .followRedirects(HttpClient.Redirect.NEVER)
        .build();
  }

  /** {@code http://HOST:PORT/status} for a listen address, brackets around an IPv6 literal. */
  static URI statusUri(ListenAddress listen) {
    String host = listen.host().contains(":") ? "[" + listen.host() + "]" : listen.host();
    if (host.equals("0.0.0.0")) {
      host = "127.0.0.1";
    }
    return URI.create("http://" + host + ":" + listen.port() + "/status");
  }

  /**
   * @throws OperatorException when the agent cannot be reached or answers something else
   */
  Result run(URI uri, boolean json) throws InterruptedException {
    String body = fetch(uri);
    if (json) {
      out.print(body.endsWith("\n") ? body : body + "\n");
      return Result.OK;
    }
    JsonNode document;
    try {
      document = JSON.readTree(body);
    } catch (JsonProcessingException e) {
      throw new OperatorException(
          "the agent at "
              + uri
              + " answered something that is not JSON: "
              + e.getOriginalMessage());
    }
    out.print(StatusReport.render(document, clock.instant()));
    return Result.OK;
  }

  private String fetch(URI uri) throws InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(uri)
            .timeout(REQUEST_TIMEOUT)
            .header("Accept", "application/json")
            .GET()
            .build();
    HttpResponse<String> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new OperatorException(
          "cannot reach the agent at "
              + uri
              + " ("
              + describe(e)
              + "): is the agent running? (systemctl status driftguard)",
          e);
    }
    if (response.statusCode() != 200) {
      String first = response.body().lines().findFirst().orElse("").strip();
      throw new OperatorException(
          "the agent at "
              + uri
              + " answered HTTP "
              + response.statusCode()
              + (first.isEmpty()
                  ? ""
                  : ": " + (first.length() > 200 ? first.substring(0, 200) : first))
              + "; is agent.status.listen the address of a driftguard agent?");
    }
    return response.body();
  }

  private static String describe(IOException e) {
    String name = e.getClass().getSimpleName();
    return e.getMessage() == null || e.getMessage().isBlank() ? name : name + ": " + e.getMessage();
  }
}
