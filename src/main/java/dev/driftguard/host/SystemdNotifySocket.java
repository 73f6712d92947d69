package dev.driftguard.host;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Adapter: systemd's notify protocol ({@code sd_notify(3)}): one datagram per message on the {@code
 * AF_UNIX} socket that {@code $NOTIFY_SOCKET} names, a path or an abstract name ({@code @...}). JDK
 * 17 speaks unix sockets only as streams, so the datagram goes through libc's {@code socket}/{@code
 * sendto}, reached with JNA (which the Docker transport already ships).
 *
 * <p>A message that cannot be sent is logged once and dropped: a supervisor that stops listening
 * must not stop the agent. systemd accepts the messages only from the unit's main process ({@code
 * NotifyAccess=main}), which the agent is: the launcher {@code exec}s the JVM.
 */
public final class SystemdNotifySocket implements ServiceManager {
  private static final Logger logger = LoggerFactory.getLogger(SystemdNotifySocket.class);

  static final String NOTIFY_SOCKET = "NOTIFY_SOCKET";
  static final String WATCHDOG_USEC = "WATCHDOG_USEC";
  static final String WATCHDOG_PID = "WATCHDOG_PID";

  private static final int AF_UNIX = 1;
  private static final int SOCK_DGRAM = 2;
  private static final int SOCK_CLOEXEC = 0x80000;

  /** {@code sizeof(sockaddr_un.sun_path)} on Linux. */
  private static final int SUN_PATH = 108;

  private static final int SUN_PATH_OFFSET = 2;

  private final String socket;
  private final byte[] address;
  private final Duration watchdogTimeout;
  private final AtomicBoolean failureReported = new AtomicBoolean();

  SystemdNotifySocket(String socket, Duration watchdogTimeout) {
    this.socket = socket;
    this.address = sockaddr(socket);
    this.watchdogTimeout = watchdogTimeout;
  }

  /**
   * The supervisor that {@code environment} names: systemd when {@code NOTIFY_SOCKET} is set (a
   * {@code Type=notify} unit), with its watchdog when {@code WATCHDOG_USEC} is set for this process
   * ({@code WATCHDOG_PID} absent or {@code pid}); otherwise {@link ServiceManager#none}.
   *
   * @param pid this process's id, which {@code WATCHDOG_PID} must name for the watchdog to be ours
   */
  public static ServiceManager fromEnvironment(Map<String, String> environment, long pid) {
    String socket = environment.get(NOTIFY_SOCKET);
    if (socket == null || socket.isEmpty()) {
      return ServiceManager.none();
    }
    if (!socket.startsWith("/") && !socket.startsWith("@")) {
      logger.warn(
          "NOTIFY_SOCKET={} is not a unix socket path or abstract name, the only kinds the agent"
              + " speaks; systemd will not hear that it is ready or alive",
          socket);
      return ServiceManager.none();
    }
    if (socket.getBytes(StandardCharsets.UTF_8).length >= SUN_PATH) {
      logger.warn(
          "NOTIFY_SOCKET={} is longer than a unix socket path may be; not notifying", socket);
      return ServiceManager.none();
    }
    return new SystemdNotifySocket(socket, watchdog(environment, pid));
  }

  private static Duration watchdog(Map<String, String> environment, long pid) {
    String usec = environment.get(WATCHDOG_USEC);
    if (usec == null || usec.isEmpty()) {
      return null;
    }
    String watchedPid = environment.get(WATCHDOG_PID);
    if (watchedPid != null && !watchedPid.isEmpty() && !watchedPid.equals(Long.toString(pid))) {
      return null; // inherited from a parent that systemd watches, not this process
    }
    try {
      long micros = Long.parseLong(usec);
      return micros > 0 ? Duration.ofNanos(Math.multiplyExact(micros, 1000L)) : null;
    } catch (NumberFormatException | ArithmeticException e) {
      logger.warn("WATCHDOG_USEC={} is not a number of microseconds; no watchdog", usec);
      return null;
    }
  }

  @Override
  public void ready(String status) {
    send("READY=1\nSTATUS=" + oneLine(status));
  }

  @Override
  public void alive() {
    send("WATCHDOG=1");
  }

  @Override
  public void extendStartTimeout(Duration extension) {
    send("EXTEND_TIMEOUT_USEC=" + extension.toNanos() / 1000);
  }

  @Override
  public void stopping() {
    send("STOPPING=1\nSTATUS=stopping; application containers keep running");
  }

  @Override
  public Optional<Duration> watchdogTimeout() {
    return Optional.ofNullable(watchdogTimeout);
  }

  @Override
  public boolean supervised() {
    return true;
  }

  /** Sends one datagram; a failure is logged once (until a send works again) and dropped. */
  void send(String message) {
    byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
    try {
      LibC libc = LibC.load();
      int fd = libc.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      try {
        libc.sendto(fd, bytes, new NativeLong(bytes.length), 0, address, address.length);
      } finally {
        libc.close(fd);
      }
      if (failureReported.compareAndSet(true, false)) {
        logger.info("systemd hears the agent again on {}", socket);
      }
    } catch (LastErrorException | LinkageError e) {
      if (failureReported.compareAndSet(false, true)) {
        logger.warn(
            "cannot tell systemd '{}' on NOTIFY_SOCKET {}: {}; the unit may time out or be"
                + " restarted by its watchdog",
            message.lines().findFirst().orElse(""),
            socket,
            e.getMessage());
      }
    }
  }

  /** {@code struct sockaddr_un}, cut to the length that names the socket. */
  static byte[] sockaddr(String socket) {
    byte[] path = socket.getBytes(StandardCharsets.UTF_8);
    boolean abstractName = socket.startsWith("@");
    // A path ends with its NUL; an abstract name is exactly its bytes, the '@' standing for NUL.
    int length = SUN_PATH_OFFSET + path.length + (abstractName ? 0 : 1);
    ByteBuffer address = ByteBuffer.allocate(length).order(ByteOrder.nativeOrder());
    address.putShort((short) AF_UNIX);
    address.put(path);
    byte[] bytes = address.array();
    if (abstractName) {
      bytes[SUN_PATH_OFFSET] = 0;
    }
    return bytes;
  }

  private static String oneLine(String status) {
    return status.replace('\n', ' ');
  }

  /** The three libc calls of sd_notify. */
  interface LibC extends Library {
    int socket(int domain, int type, int protocol) throws LastErrorException;

    NativeLong sendto(
        int fd, byte[] buffer, NativeLong length, int flags, byte[] address, int addressLength)
        throws LastErrorException;

    int close(int fd) throws LastErrorException;

    /** Loaded on first use, so a host without a notify socket never touches native code. */
    static LibC load() {
      return Holder.INSTANCE;
    }

    /** Lazy holder of the binding. */
    final class Holder {
      static final LibC INSTANCE = Native.load("c", LibC.class);

      private Holder() {}
    }
  }
}
