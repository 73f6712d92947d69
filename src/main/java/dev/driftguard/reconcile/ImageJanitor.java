package dev.driftguard.reconcile;

import dev.driftguard.model.ImageRef;
import dev.driftguard.runtime.ContainerRuntime;
import dev.driftguard.runtime.ContainerRuntime.LocalImage;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes old images of a service's repository. Never removes what a rollback may need: the running
 * image, the last known good one and the previous container's image are always kept, plus the
 * {@code keep} newest others.
 */
final class ImageJanitor {
  private static final Logger logger = LoggerFactory.getLogger(ImageJanitor.class);

  private final ContainerRuntime runtime;
  private final int keep;

  ImageJanitor(ContainerRuntime runtime, int keep) {
    this.runtime = runtime;
    this.keep = keep;
  }

  /** Which of {@code images} may go, given the pinned references that must stay. Pure. */
  static List<LocalImage> removable(List<LocalImage> images, Set<String> protectedRefs, int keep) {
    List<LocalImage> others = new ArrayList<>();
    for (LocalImage image : images) {
      if (image.repoDigests().stream().noneMatch(protectedRefs::contains)) {
        others.add(image);
      }
    }
    others.sort(Comparator.comparing(LocalImage::created).reversed());
    return others.size() <= keep ? List.of() : List.copyOf(others.subList(keep, others.size()));
  }

  void collect(String service, String repositoryName, Set<ImageRef> protectedImages) {
    Set<String> refs = new java.util.HashSet<>();
    protectedImages.forEach(i -> refs.add(i.pinned()));
    for (LocalImage image : removable(runtime.images(repositoryName), refs, keep)) {
      logger.info(
          "[service={}] removing old image {} ({})", service, image.id(), image.repoDigests());
      runtime.removeImage(image.id());
    }
  }
}
