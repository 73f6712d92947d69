package dev.driftguard.testing;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A real {@code AF_UNIX} datagram socket, bound where systemd would bind its notify socket (a path,
 * or an abstract name given as {@code @name}), that tests read the agent's messages from.
 */
public final class NotifySocketReceiver implements AutoCloseable {
  private static final int AF_UNIX = 1;
  private static final int SOCK_DGRAM = 2;
  private static final int SOCK_CLOEXEC = 0x80000;
  private static final int MSG_DONTWAIT = 0x40;
  private static final int EAGAIN = 11;

  private final LibC libc = Native.load("c", LibC.class);
  private final int fd;
  private final String name;
  private final Path path;

  private NotifySocketReceiver(String name, Path path) {
    this.name = name;
    this.path = path;
    this.fd = libc.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
    boolean abstractName = name.startsWith("@");
    ByteBuffer address =
        ByteBuffer.allocate(2 + bytes.length + (abstractName ? 0 : 1))
            .order(ByteOrder.nativeOrder());
    address.putShort((short) AF_UNIX).put(bytes);
    byte[] sockaddr = address.array();
    if (abstractName) {
      sockaddr[2] = 0;
    }
    libc.bind(fd, sockaddr, sockaddr.length);
  }

  /** Binds a socket file in {@code directory}. */
  public static NotifySocketReceiver atPath(Path directory) {
    Path socket = directory.resolve("notify");
    return new NotifySocketReceiver(socket.toString(), socket);
  }

  /**
   * Binds an abstract socket ({@code @name}), as systemd's own {@code /run/systemd/notify} is not.
   */
  public static NotifySocketReceiver abstractNamed(String name) {
    return new NotifySocketReceiver("@" + name, null);
  }

  /** The value {@code NOTIFY_SOCKET} would hold. */
  public String name() {
    return name;
  }

  /** The next datagram, or null when none arrives within {@code timeout}. */
  public String receive(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    byte[] buffer = new byte[4096];
    while (true) {
      try {
        long n = libc.recv(fd, buffer, new NativeLong(buffer.length), MSG_DONTWAIT).longValue();
        return new String(buffer, 0, (int) n, StandardCharsets.UTF_8);
      } catch (LastErrorException e) {
        if (e.getErrorCode() != EAGAIN) {
          throw e;
        }
      }
      if (System.nanoTime() > deadline) {
        return null;
      }
      Thread.sleep(5);
    }
  }

  /** Every datagram waiting now. */
  public List<String> drain() throws InterruptedException {
    List<String> messages = new ArrayList<>();
    for (String m = receive(Duration.ZERO); m != null; m = receive(Duration.ZERO)) {
      messages.add(m);
    }
    return messages;
  }

  @Override
  public void close() throws java.io.IOException {
    libc.close(fd);
    if (path != null) {
      Files.deleteIfExists(path);
    }
  }

  /** The libc calls a receiver needs. */
  interface LibC extends Library {
    int socket(int domain, int type, int protocol) throws LastErrorException;

    int bind(int fd, byte[] address, int addressLength) throws LastErrorException;

    NativeLong recv(int fd, byte[] buffer, NativeLong length, int flags) throws LastErrorException;

    int close(int fd) throws LastErrorException;
  }
}
