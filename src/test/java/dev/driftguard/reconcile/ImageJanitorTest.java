package dev.driftguard.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftguard.runtime.ContainerRuntime.LocalImage;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ImageJanitorTest {
  private static LocalImage image(String id, int createdDay) {
    return new LocalImage(
        id,
        List.of("r/web@sha256:" + id.repeat(64).substring(0, 64)),
        Instant.parse("2026-01-01T00:00:00Z").plusSeconds(86400L * createdDay));
  }

  @Test
  void removable_keepsProtectedAndNewestOthers() {
    LocalImage running = image("a", 1);
    LocalImage lastGood = image("b", 2);
    LocalImage old1 = image("c", 3);
    LocalImage old2 = image("d", 4);
    LocalImage old3 = image("e", 5);
    Set<String> protectedRefs = Set.of(running.repoDigests().get(0), lastGood.repoDigests().get(0));
    List<LocalImage> removable =
        ImageJanitor.removable(List.of(running, lastGood, old1, old2, old3), protectedRefs, 1);
    assertThat(removable).containsExactlyInAnyOrder(old1, old2);
  }

  @Test
  void removable_neverTouchesProtectedEvenWhenKeepIsZero() {
    LocalImage running = image("a", 1);
    assertThat(ImageJanitor.removable(List.of(running), Set.of(running.repoDigests().get(0)), 0))
        .isEmpty();
  }
}
