package dev.driftguard.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Holds the source to the import rules written in docs/architecture.md. */
class ArchitectureTest {
  private static final Path SOURCES = Path.of("src/main/java/dev/driftguard");
  private static final Pattern ROW =
      Pattern.compile("^\\|\\s*([a-z]+)\\s*\\|\\s*([a-z, ]*)\\|\\s*$");
  private static final Pattern IMPORT =
      Pattern.compile(
          "(?:^import\\s+(?:static\\s+)?|[^\\w.])dev\\.driftguard\\.([a-z]+)\\.([A-Z]\\w*(?:\\.[A-Z]\\w*)*)");
  private static final Set<String> ADAPTER_PACKAGES =
      Set.of("desired", "runtime", "registry", "health", "traffic", "fleet", "host");

  private static Map<String, Set<String>> rules() throws IOException {
    Map<String, Set<String>> rules = new HashMap<>();
    for (String line : Files.readAllLines(Path.of("docs/architecture.md"))) {
      Matcher m = ROW.matcher(line);
      if (m.matches() && !m.group(1).equals("package")) {
        Set<String> allowed = new TreeSet<>();
        for (String p : m.group(2).split(",")) {
          if (!p.isBlank()) {
            allowed.add(p.strip());
          }
        }
        rules.put(m.group(1), allowed);
      }
    }
    return rules;
  }

  /** Every reference to another driftguard package: "file -> package.Type". */
  private static Map<Path, List<String[]>> references() throws IOException {
    Map<Path, List<String[]>> refs = new HashMap<>();
    try (Stream<Path> files = Files.walk(SOURCES)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
        List<String[]> found = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
          Matcher m = IMPORT.matcher(line);
          while (m.find()) {
            found.add(new String[] {m.group(1), m.group(2)});
          }
        }
        refs.put(file, found);
      }
    }
    return refs;
  }

  private static String packageOf(Path file) {
    return SOURCES.relativize(file).getName(0).toString();
  }

  @Test
  void everyPackageIsInTheTable() throws IOException {
    Set<String> packages = new TreeSet<>();
    try (Stream<Path> dirs = Files.list(SOURCES)) {
      dirs.filter(Files::isDirectory).forEach(d -> packages.add(d.getFileName().toString()));
    }
    assertThat(rules().keySet()).containsAll(packages);
  }

  @Test
  void importsFollowTheTable() throws IOException {
    Map<String, Set<String>> rules = rules();
    List<String> violations = new ArrayList<>();
    references()
        .forEach(
            (file, refs) -> {
              String from = packageOf(file);
              for (String[] ref : refs) {
                if (!ref[0].equals(from) && !rules.getOrDefault(from, Set.of()).contains(ref[0])) {
                  violations.add(SOURCES.relativize(file) + " uses " + ref[0] + "." + ref[1]);
                }
              }
            });
    assertThat(violations).as("imports that docs/architecture.md does not allow").isEmpty();
  }

  @Test
  void reconcileSeesOnlyPortsOfAdapterPackages() throws Exception {
    List<String> violations = new ArrayList<>();
    for (var entry : references().entrySet()) {
      if (!packageOf(entry.getKey()).equals("reconcile")) {
        continue;
      }
      for (String[] ref : entry.getValue()) {
        if (!ADAPTER_PACKAGES.contains(ref[0])) {
          continue;
        }
        String outer = ref[1].contains(".") ? ref[1].substring(0, ref[1].indexOf('.')) : ref[1];
        Class<?> type = Class.forName("dev.driftguard." + ref[0] + "." + outer);
        boolean port = type.isInterface() || Throwable.class.isAssignableFrom(type);
        if (!port) {
          violations.add(
              "reconcile/"
                  + entry.getKey().getFileName()
                  + " uses adapter class "
                  + ref[0]
                  + "."
                  + ref[1]);
        }
      }
    }
    assertThat(violations).isEmpty();
  }
}
