package dev.driftguard.operator;

import dev.driftguard.model.Digest;
import dev.driftguard.model.Sleeper;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/** In-memory fakes of the operator's ports and virtual time, for the commands' unit tests. */
final class Fakes {
  static final String ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com";

  private Fakes() {}

  static String digest(char c) {
    return "sha256:" + String.valueOf(c).repeat(64);
  }

  /** SSM as a map; every write is a new version. */
  static final class Parameters implements ParameterStore {
    final Map<String, StoredParameter> values = new HashMap<>();
    final List<String> puts = new ArrayList<>();

    Parameters with(String name, String value) {
      long version = values.containsKey(name) ? values.get(name).version() + 1 : 1;
      values.put(name, new StoredParameter(name, "String", value, version));
      return this;
    }

    @Override
    public Optional<StoredParameter> get(String name) {
      return Optional.ofNullable(values.get(name));
    }

    @Override
    public long put(String name, String value) {
      puts.add(name + "=" + value);
      with(name, value);
      return values.get(name).version();
    }
  }

  /** ECR repositories: repository -> images. */
  static final class Images implements ImageCatalog {
    final Map<String, List<Image>> repositories = new HashMap<>();
    int calls;

    Images with(String repository, String digest, String... tags) {
      repositories
          .computeIfAbsent(repository, k -> new ArrayList<>())
          .add(new Image(Digest.parse(digest), List.of(tags)));
      return this;
    }

    @Override
    public Optional<Image> byTag(EcrRegistry registry, String repository, String tag) {
      return images(registry, repository).stream().filter(i -> i.tags().contains(tag)).findFirst();
    }

    @Override
    public Optional<Image> byDigest(EcrRegistry registry, String repository, Digest digest) {
      return images(registry, repository).stream()
          .filter(i -> i.digest().equals(digest))
          .findFirst();
    }

    private List<Image> images(EcrRegistry registry, String repository) {
      calls++;
      List<Image> images = repositories.get(repository);
      if (images == null) {
        throw new OperatorException("ECR repository '" + repository + "' does not exist");
      }
      return images;
    }
  }

  /** The hosts' published state, changed by the test between reads. */
  static final class Fleet implements FleetState {
    final Map<String, HostState> hosts = new java.util.TreeMap<>();
    int reads;

    Fleet host(String id, String running, String phase, String outcome, String failed) {
      hosts.put(id, new HostState(id, running, phase, outcome, failed, null));
      return this;
    }

    @Override
    public List<HostState> hosts(String service) {
      reads++;
      return List.copyOf(hosts.values());
    }
  }

  /** A clock that moves only when slept on; each sleep may change the world. */
  static final class Time extends Clock implements Sleeper {
    private Instant now;
    final List<Duration> sleeps = new ArrayList<>();
    private final List<Consumer<Integer>> onSleep = new ArrayList<>();

    Time(Instant start) {
      this.now = start;
    }

    /** Runs {@code action} with the number of the sleep (1, 2, ...) after each sleep. */
    Time onSleep(Consumer<Integer> action) {
      onSleep.add(action);
      return this;
    }

    @Override
    public void sleep(Duration duration) {
      sleeps.add(duration);
      now = now.plus(duration);
      onSleep.forEach(a -> a.accept(sleeps.size()));
    }

    Duration elapsed(Instant start) {
      return Duration.between(start, now);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }
}
