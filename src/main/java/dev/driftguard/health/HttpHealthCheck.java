package dev.driftguard.health;

import dev.driftguard.model.HealthSpec;
import dev.driftguard.model.PortBinding;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Health type {@code http}: a GET of {@code http://<probe address>:<host port><path>} through the
 * host port that publishes {@code spec.port()}; 2xx and 3xx pass. Redirects are not followed (a
 * redirect means the app answers), and connecting plus answering is bounded by {@code
 * spec.timeout()}.
 *
 * <p>One HTTP/1.1 request on a plain socket, reading only the status line: the JDK's {@code
 * java.net.http} client would add a selector thread, a worker pool and a few hundred classes for
 * one local GET per pass, and {@code HttpURLConnection} cannot bound connect plus answer by one
 * deadline. Each probe uses a fresh connection ({@code Connection: close}), never kept to a
 * container that may be replaced before the next probe.
 */
public final class HttpHealthCheck extends PortHealthCheck {
  /** Longest status line read ("HTTP/1.1 200 OK" and a generous reason phrase). */
  private static final int MAX_STATUS_LINE = 256;

  private static final Pattern STATUS_LINE =
      Pattern.compile("HTTP/\\d(?:\\.\\d)? (\\d{3})(?: .*)?");

  private HttpHealthCheck() {}

  /** The check; it holds no state, so one serves every service. */
  public static HttpHealthCheck create() {
    return new HttpHealthCheck();
  }

  @Override
  ProbeResult probe(PortBinding binding, HealthSpec spec) {
    String address = binding.probeAddress();
    int port = binding.hostPort();
    long timeoutMillis = Math.max(1, spec.timeout().toMillis());
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    try (Socket socket = socket()) {
      socket.connect(
          new InetSocketAddress(address, port), (int) Math.min(Integer.MAX_VALUE, timeoutMillis));
      OutputStream out = socket.getOutputStream();
      out.write(
          ("GET "
                  + spec.path()
                  + " HTTP/1.1\r\nHost: "
                  + uriHost(address)
                  + ":"
                  + port
                  + "\r\nUser-Agent: driftguard\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String line = statusLine(socket, deadline, timeoutMillis);
      Matcher m = STATUS_LINE.matcher(line);
      if (!m.matches()) {
        return ProbeResult.fail("not an HTTP answer: " + line);
      }
      int status = Integer.parseInt(m.group(1));
      String detail = "HTTP " + status;
      return status >= 200 && status < 400 ? ProbeResult.pass(detail) : ProbeResult.fail(detail);
    } catch (ConnectException e) {
      return ProbeResult.fail("connection refused");
    } catch (SocketTimeoutException e) {
      return ProbeResult.fail(noAnswer(timeoutMillis));
    } catch (IOException | RuntimeException e) {
      return ProbeResult.fail(
          e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
    }
  }

  /** The first line of the answer, read within the deadline. */
  private static String statusLine(Socket socket, long deadline, long timeoutMillis)
      throws IOException {
    InputStream in = socket.getInputStream();
    StringBuilder line = new StringBuilder();
    while (line.length() < MAX_STATUS_LINE) {
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (left <= 0) {
        throw new SocketTimeoutException(noAnswer(timeoutMillis));
      }
      socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, left));
      int b = in.read();
      if (b < 0 || b == '\n') {
        break;
      }
      if (b != '\r') {
        line.append((char) b);
      }
    }
    return line.toString();
  }

  private static String noAnswer(long timeoutMillis) {
    return "no answer within " + timeoutMillis + " ms";
  }
}
