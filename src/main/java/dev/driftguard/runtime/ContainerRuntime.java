package dev.driftguard.runtime;

import dev.driftguard.model.ContainerInfo;
import dev.driftguard.model.ImageRef;
import dev.driftguard.model.RegistryCredential;
import dev.driftguard.model.RunSpec;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Port: the container engine on this host. Every mutating call is idempotent: stopping a stopped
 * container, removing a missing one or starting a running one succeeds, so a deploy interrupted at
 * any point can be resumed.
 */
public interface ContainerRuntime {

  /**
   * Pulls {@code image} by digest (a no-op when an image with that repo digest is present) and
   * verifies that the local image's RepoDigests contain the digest.
   *
   * @param credential the registry login, or null for anonymous pulls
   * @return the local image id
   * @throws RegistryUnauthorizedException when the registry answers 401 or 403
   * @throws ImagePullException for any other pull failure, including a digest mismatch
   */
  String pull(ImageRef image, RegistryCredential credential);

  /** The container with exactly this name, if any. */
  Optional<ContainerInfo> inspect(String name);

  /**
   * The containers with exactly these names, each as {@link #inspect} reports it, observed
   * together: one engine call when nothing changed since the last observation (an in-sync pass
   * looks at a service's current, previous and next containers with it). Containers are found by
   * name, not by label, so one made by hand with a service's name is seen too. Names without a
   * container are absent from the map.
   */
  Map<String, ContainerInfo> inspectAll(Collection<String> names);

  /**
   * Creates (does not start) a container named {@code name} from {@code spec}, with the labels of
   * {@link RunSpec#labels()} and restart policy {@code unless-stopped}: the engine starts it again
   * when its process dies or the engine or host restarts, even with the agent down, but not after
   * {@link #stop} (a stopped {@code <service>-previous} stays stopped).
   *
   * @throws ContainerRuntimeException when a container with that name exists already
   */
  ContainerInfo create(String name, RunSpec spec);

  /** Starts the named container; a running one is left as it is. */
  void start(String name);

  /**
   * Sends {@code signal}, waits up to {@code timeout}, then kills; a stopped or missing container
   * is fine.
   */
  void stop(String name, String signal, Duration timeout);

  /** Removes the named container, stopping it by force if needed; a missing one is fine. */
  void remove(String name);

  /** Renames a container; fails when {@code from} is missing or {@code to} is taken. */
  void rename(String from, String to);

  /** Local images of {@code repositoryName} (REGISTRY/REPOSITORY), with their repo digests. */
  List<LocalImage> images(String repositoryName);

  /** Removes a local image by id; a missing one is fine, one in use by a container is kept. */
  void removeImage(String imageId);

  /**
   * What the engine reports about itself ({@code docker info}) that decides whether the containers
   * outlive the engine: read once at start to warn about an engine that would take the services
   * down with it.
   */
  EngineInfo engineInfo();

  /**
   * The engine's version and whether its live-restore is on (containers keep running while the
   * engine stops, restarts or upgrades).
   */
  record EngineInfo(String version, boolean liveRestore) {}

  /** A local image: its id, the repo digests it carries, and when it was created. */
  record LocalImage(String id, List<String> repoDigests, java.time.Instant created) {
    public LocalImage {
      repoDigests = List.copyOf(repoDigests);
    }
  }
}
