package dev.driftguard.metrics;

import com.sun.management.UnixOperatingSystemMXBean;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The process metrics under the names every Prometheus client library exports (and node-level
 * dashboards and alerts expect): {@code process_resident_memory_bytes}, {@code
 * process_virtual_memory_bytes}, {@code process_cpu_seconds_total}, {@code process_open_fds} and
 * {@code process_max_fds}. Micrometer's binders name the same facts differently ({@code
 * process_files_open_files}, CPU in nanoseconds) and have no resident memory at all, which is the
 * number to watch against the unit's {@code MemoryMax}.
 *
 * <p>Memory is read from {@code /proc/self/status} (Linux; readable under {@code ProcSubset=pid});
 * where it cannot be read, the memory gauges are not registered.
 */
final class ProcessMetrics implements MeterBinder {
  private final Path status;

  ProcessMetrics() {
    this(Path.of("/proc/self/status"));
  }

  /**
   * @param status a file in the format of {@code /proc/self/status}
   */
  ProcessMetrics(Path status) {
    this.status = status;
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    if (Files.isReadable(status) && kilobytes("VmRSS:") >= 0) {
      Gauge.builder("process.resident.memory", this, m -> m.bytes("VmRSS:"))
          .description("Resident memory size of the agent's process")
          .baseUnit("bytes")
          // Micrometer holds a gauge's object weakly; nothing else keeps this binder alive.
          .strongReference(true)
          .register(registry);
      Gauge.builder("process.virtual.memory", this, m -> m.bytes("VmSize:"))
          .description("Virtual memory size of the agent's process")
          .baseUnit("bytes")
          .strongReference(true)
          .register(registry);
    }
    OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean cpu
        && cpu.getProcessCpuTime() >= 0) {
      FunctionCounter.builder("process.cpu", cpu, b -> b.getProcessCpuTime() / 1e9)
          .description("User and system CPU time the agent's process has spent")
          .baseUnit("seconds")
          .register(registry);
    }
    if (os instanceof UnixOperatingSystemMXBean unix) {
      Gauge.builder("process.open.fds", unix, UnixOperatingSystemMXBean::getOpenFileDescriptorCount)
          .description("Open file descriptors of the agent's process")
          .register(registry);
      Gauge.builder("process.max.fds", unix, UnixOperatingSystemMXBean::getMaxFileDescriptorCount)
          .description("Maximum number of open file descriptors (the unit's LimitNOFILE)")
          .register(registry);
    }
  }

  private double bytes(String field) {
    long kb = kilobytes(field);
    return kb < 0 ? Double.NaN : kb * 1024.0;
  }

  /** A {@code kB} field of the status file, or -1 when it cannot be read. */
  private long kilobytes(String field) {
    try {
      List<String> lines = Files.readAllLines(status);
      for (String line : lines) {
        if (line.startsWith(field)) {
          String[] parts = line.substring(field.length()).trim().split("\\s+");
          return Long.parseLong(parts[0]);
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }
}
