package dev.driftguard.testing;

import dev.driftguard.model.ImageRef;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * The test registry under another address, with faults: a TLS proxy on {@code 127.0.0.1:PORT} in
 * front of the registry of {@code test/env}, which the engine reaches as {@code <registry
 * host>:PORT} (the host name already points at 127.0.0.1). It serves the registry's own
 * certificate, issued by the test CA for the host name (any port), and writes {@code
 * /etc/docker/certs.d/<host>:<port>/ca.crt} so the engine trusts it; {@link #close} removes it.
 * Each test gets its own proxy, so a fault here never disturbs another test's pulls of the registry
 * itself.
 *
 * <p>Faults, switched at any moment, apply to the requests that arrive after:
 *
 * <ul>
 *   <li>{@link #down()}: nothing listens (connection refused) until {@link #pass()};
 *   <li>{@link #error(int)}: every request answers that HTTP status with a registry-shaped error
 *       body (a 5xx registry);
 *   <li>{@link #slow(Duration)}: every request waits that long before it is forwarded;
 *   <li>{@link #pass()}: forwards as is.
 * </ul>
 *
 * Every request is forwarded on its own upstream connection with {@code Connection: close}, which
 * keeps the proxy free of HTTP framing: the answer is streamed back until the registry closes.
 */
public final class RegistryFaultProxy implements Closeable {
  private static final Pattern CONNECTION_HEADER = Pattern.compile("(?im)^connection:.*\\r\\n");
  private static final int MAX_HEAD = 64 * 1024;

  private enum Mode {
    PASS,
    DOWN,
    ERROR,
    SLOW
  }

  private final TestEnv env;
  private final SSLContext serverTls;
  private final SSLContext clientTls;
  private final Path certsDir;
  private final int port;
  private final AtomicInteger requests = new AtomicInteger();
  private final AtomicInteger faulted = new AtomicInteger();
  private final List<Socket> open = new ArrayList<>();
  private volatile Mode mode = Mode.PASS;
  private volatile int status = 503;
  private volatile Duration delay = Duration.ZERO;
  private ServerSocket listener;
  private Thread acceptor;
  private volatile boolean closed;

  private RegistryFaultProxy(TestEnv env) throws Exception {
    this.env = env;
    Path tls = Path.of(env.get("state.dir"), "tls");
    Certificate ca = certificate(tls.resolve("ca.crt"));
    this.serverTls =
        serverContext(
            certificate(tls.resolve("server.crt")), privateKey(tls.resolve("server.key")));
    this.clientTls = clientContext(ca);
    this.listener = bind(0);
    this.port = listener.getLocalPort();
    this.certsDir = Path.of("/etc/docker/certs.d", registry());
    Files.createDirectories(certsDir);
    Files.copy(
        tls.resolve("ca.crt"),
        certsDir.resolve("ca.crt"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    startAccepting();
  }

  /** A proxy in front of {@code env}'s registry on a free port, passing everything through. */
  public static RegistryFaultProxy start(TestEnv env) {
    try {
      return new RegistryFaultProxy(env);
    } catch (Exception e) {
      throw new IllegalStateException(
          "cannot start the registry fault proxy: " + e.getMessage(), e);
    }
  }

  /** {@code <registry host>:<port>}, as image references and {@code allowedRegistries} name it. */
  public String registry() {
    return env.registryHost() + ":" + port;
  }

  public int port() {
    return port;
  }

  /** A test image ({@code v1}, {@code v2}, ...) pinned by digest, named through this proxy. */
  public ImageRef image(String variant) {
    ImageRef direct = env.image(variant);
    return ImageRef.parse(registry() + "/" + direct.repository() + "@" + direct.digest().value());
  }

  /** Forwards everything from now on (and listens again after {@link #down()}). */
  public synchronized void pass() {
    mode = Mode.PASS;
    ensureListening();
  }

  /** Nothing listens any more: new connections are refused, open ones are cut. */
  public synchronized void down() {
    mode = Mode.DOWN;
    closeQuietly(listener);
    listener = null;
    synchronized (open) {
      open.forEach(RegistryFaultProxy::closeQuietly);
      open.clear();
    }
  }

  /** Every request answers {@code httpStatus} (e.g. 500, 503) with a registry error body. */
  public synchronized void error(int httpStatus) {
    status = httpStatus;
    mode = Mode.ERROR;
    ensureListening();
  }

  /** Every request waits {@code perRequest} before it is forwarded. */
  public synchronized void slow(Duration perRequest) {
    delay = perRequest;
    mode = Mode.SLOW;
    ensureListening();
  }

  /** Requests received so far. */
  public int requests() {
    return requests.get();
  }

  /** Requests answered with an injected error so far. */
  public int faulted() {
    return faulted.get();
  }

  @Override
  public synchronized void close() {
    closed = true;
    closeQuietly(listener);
    synchronized (open) {
      open.forEach(RegistryFaultProxy::closeQuietly);
      open.clear();
    }
    try {
      Files.deleteIfExists(certsDir.resolve("ca.crt"));
      Files.deleteIfExists(certsDir);
    } catch (IOException e) {
      System.err.println("registry fault proxy: cannot remove " + certsDir + ": " + e.getMessage());
    }
  }

  // ---- serving ---------------------------------------------------------------------------

  private ServerSocket bind(int onPort) throws IOException {
    SSLServerSocket socket =
        (SSLServerSocket) serverTls.getServerSocketFactory().createServerSocket();
    socket.setReuseAddress(true);
    socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), onPort), 64);
    return socket;
  }

  private void ensureListening() {
    if (listener != null || closed) {
      return;
    }
    try {
      listener = bind(port);
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot listen on 127.0.0.1:" + port + " again: " + e.getMessage(), e);
    }
    startAccepting();
  }

  private void startAccepting() {
    ServerSocket socket = listener;
    acceptor = new Thread(() -> accept(socket), "registry-fault-proxy-" + port);
    acceptor.setDaemon(true);
    acceptor.start();
  }

  private void accept(ServerSocket socket) {
    while (!socket.isClosed()) {
      Socket client;
      try {
        client = socket.accept();
      } catch (IOException e) {
        return; // closed: down() or close()
      }
      synchronized (open) {
        open.add(client);
      }
      Thread worker = new Thread(() -> serve(client), "registry-fault-proxy-" + port + "-conn");
      worker.setDaemon(true);
      worker.start();
    }
  }

  private void serve(Socket client) {
    try (client) {
      client.setSoTimeout(60_000);
      InputStream in = client.getInputStream();
      byte[] head = readHead(in);
      if (head == null) {
        return;
      }
      requests.incrementAndGet();
      String headText = new String(head, StandardCharsets.ISO_8859_1);
      byte[] body = readBody(in, headText);
      Mode now = mode;
      if (now == Mode.DOWN) {
        return;
      }
      if (now == Mode.ERROR) {
        faulted.incrementAndGet();
        answerError(client.getOutputStream(), status);
        return;
      }
      if (now == Mode.SLOW) {
        Thread.sleep(delay.toMillis());
      }
      forward(headText, body, client.getOutputStream());
    } catch (IOException e) {
      // The client or the registry went away: nothing to answer.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      synchronized (open) {
        open.remove(client);
      }
    }
  }

  private void forward(String head, byte[] body, OutputStream toClient) throws IOException {
    // Connection: close upstream, so the registry's answer ends where its connection does.
    String rewritten = CONNECTION_HEADER.matcher(head).replaceAll("");
    rewritten = rewritten.substring(0, rewritten.length() - 2) + "Connection: close\r\n\r\n";
    try (SSLSocket upstream = (SSLSocket) clientTls.getSocketFactory().createSocket()) {
      SSLParameters parameters = upstream.getSSLParameters();
      parameters.setServerNames(List.of(new SNIHostName(env.registryHost())));
      parameters.setEndpointIdentificationAlgorithm("HTTPS");
      upstream.setSSLParameters(parameters);
      upstream.connect(new InetSocketAddress(env.registryHost(), 443), 5_000);
      upstream.setSoTimeout(60_000);
      OutputStream out = upstream.getOutputStream();
      out.write(rewritten.getBytes(StandardCharsets.ISO_8859_1));
      out.write(body);
      out.flush();
      upstream.getInputStream().transferTo(toClient);
      toClient.flush();
    }
  }

  private static void answerError(OutputStream out, int status) throws IOException {
    String json =
        "{\"errors\":[{\"code\":\"UNAVAILABLE\",\"message\":\"injected by the registry fault"
            + " proxy\",\"detail\":null}]}";
    String reply =
        "HTTP/1.1 "
            + status
            + " "
            + reason(status)
            + "\r\n"
            + "Content-Type: application/json; charset=utf-8\r\n"
            + "Docker-Distribution-Api-Version: registry/2.0\r\n"
            + "Content-Length: "
            + json.length()
            + "\r\n"
            + "Connection: close\r\n\r\n"
            + json;
    out.write(reply.getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
  }

  private static String reason(int status) {
    return switch (status) {
      case 500 -> "Internal Server Error";
      case 502 -> "Bad Gateway";
      case 503 -> "Service Unavailable";
      case 504 -> "Gateway Timeout";
      default -> "Error";
    };
  }

  /** The request line and headers, through the blank line; null when the client closed first. */
  private static byte[] readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    byte[] end = {'\r', '\n', '\r', '\n'};
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        return null;
      }
      head.write(b);
      matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
      if (head.size() > MAX_HEAD) {
        throw new IOException("request head over " + MAX_HEAD + " bytes");
      }
    }
    return head.toByteArray();
  }

  private static byte[] readBody(InputStream in, String head) throws IOException {
    for (String line : head.split("\r\n")) {
      int colon = line.indexOf(':');
      if (colon > 0
          && line.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals("content-length")) {
        return in.readNBytes(Integer.parseInt(line.substring(colon + 1).trim()));
      }
    }
    return new byte[0];
  }

  // ---- TLS material from test/env's CA ---------------------------------------------------

  private static Certificate certificate(Path pem) throws Exception {
    try (InputStream in = Files.newInputStream(pem)) {
      return CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
  }

  private static PrivateKey privateKey(Path pem) throws Exception {
    String text = Files.readString(pem);
    if (!text.contains("-----BEGIN PRIVATE KEY-----")) {
      throw new IllegalStateException(pem + " is not a PKCS#8 key (BEGIN PRIVATE KEY)");
    }
    String base64 = text.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    return KeyFactory.getInstance("EC")
        .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
  }

  private static SSLContext serverContext(Certificate certificate, PrivateKey key)
      throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    char[] password = "proxy".toCharArray();
    store.setKeyEntry("server", key, password, new Certificate[] {certificate});
    KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keys.init(store, password);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(keys.getKeyManagers(), null, null);
    return context;
  }

  private static SSLContext clientContext(Certificate ca) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    store.setCertificateEntry("ca", ca);
    TrustManagerFactory trust =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(store);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, trust.getTrustManagers(), null);
    return context;
  }

  private static void closeQuietly(Closeable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (IOException e) {
      // Closing: nothing to do.
    }
  }
}
