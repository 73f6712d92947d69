package dev.driftguard.health;

import dev.driftguard.model.HealthSpec;
import dev.driftguard.model.PortBinding;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;

/**
 * Health type {@code tcp}: a connection to the host port that publishes {@code spec.port()} opens
 * within {@code spec.timeout()}.
 *
 * <p>Note that Docker's userland proxy accepts connections on a published port even when nothing
 * listens inside the container; where that proxy is enabled, prefer {@code http}.
 */
public final class TcpHealthCheck extends PortHealthCheck {

  @Override
  ProbeResult probe(PortBinding binding, HealthSpec spec) {
    InetSocketAddress address = new InetSocketAddress(binding.probeAddress(), binding.hostPort());
    try (Socket socket = socket()) {
      socket.connect(address, (int) Math.max(1, spec.timeout().toMillis()));
      return ProbeResult.pass("connected to " + binding.probeAddress() + ":" + binding.hostPort());
    } catch (ConnectException e) {
      return ProbeResult.fail("connection refused");
    } catch (SocketTimeoutException e) {
      return ProbeResult.fail("no connection within " + spec.timeout().toMillis() + " ms");
    } catch (IOException e) {
      return ProbeResult.fail(e.getClass().getSimpleName() + ": " + e.getMessage());
    }
  }
}
