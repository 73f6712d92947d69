package dev.driftguard.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessMetricsTest {
  @Test
  void memory_isReadFromTheStatusFile_inBytes(@TempDir Path dir) throws Exception {
    Path status =
        Files.writeString(
            dir.resolve("status"), "Name:\tjava\nVmSize:\t 2000 kB\nVmRSS:\t  100 kB\n");
    SimpleMeterRegistry registry = new SimpleMeterRegistry();

    new ProcessMetrics(status).bindTo(registry);

    assertThat(registry.get("process.resident.memory").gauge().value()).isEqualTo(102_400);
    assertThat(registry.get("process.virtual.memory").gauge().value()).isEqualTo(2_048_000);
  }

  @Test
  void memory_whereTheStatusFileCannotBeRead_isNotRegistered(@TempDir Path dir) {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();

    new ProcessMetrics(dir.resolve("missing")).bindTo(registry);

    assertThat(registry.find("process.resident.memory").gauge()).isNull();
    assertThat(registry.find("process.open.fds").gauge()).isNotNull();
  }

  @Test
  void memory_isStillReadAfterTheBinderIsCollected(@TempDir Path dir) throws Exception {
    Path status = Files.writeString(dir.resolve("status"), "VmSize:\t 2000 kB\nVmRSS:\t  100 kB\n");
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    new ProcessMetrics(status).bindTo(registry);

    for (int i = 0; i < 3; i++) {
      System.gc();
    }

    assertThat(registry.get("process.resident.memory").gauge().value()).isEqualTo(102_400);
  }
}
