package dev.driftguard.health;

import dev.driftguard.model.ContainerInfo;
import dev.driftguard.model.ContainerSpec;
import dev.driftguard.model.HealthSpec;
import dev.driftguard.model.PortBinding;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.Locale;
import java.util.Optional;

/**
 * Health type {@code tcp}: a connection to the host port that publishes {@code spec.port()} opens
 * within {@code spec.timeout()}.
 *
 * <p>Note that Docker's userland proxy accepts connections on a published port even when nothing
 * listens inside the container; where that proxy is enabled, prefer {@code http}.
 */
public final class TcpHealthCheck implements HealthCheck {

  @Override
  public ProbeResult probe(ContainerInfo container, ContainerSpec containerSpec, HealthSpec spec) {
    if (!container.running()) {
      return ProbeResult.fail("container is " + container.state().name().toLowerCase(Locale.ROOT));
    }
    Optional<PortBinding> binding = Probes.tcpBinding(containerSpec, spec.port());
    if (binding.isEmpty()) {
      return ProbeResult.fail(Probes.notPublished(spec.port()));
    }
    InetSocketAddress address =
        new InetSocketAddress(binding.get().probeAddress(), binding.get().hostPort());
    try (Socket socket = new Socket()) {
      socket.connect(address, (int) Math.max(1, spec.timeout().toMillis()));
      return ProbeResult.pass(
          "connected to " + binding.get().probeAddress() + ":" + binding.get().hostPort());
    } catch (ConnectException e) {
      return ProbeResult.fail("connection refused");
    } catch (SocketTimeoutException e) {
      return ProbeResult.fail("no connection within " + spec.timeout().toMillis() + " ms");
    } catch (IOException e) {
      return ProbeResult.fail(e.getClass().getSimpleName() + ": " + e.getMessage());
    }
  }
}
