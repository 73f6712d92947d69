package dev.driftguard.operator;

import dev.driftguard.model.Digest;
import java.util.List;
import java.util.Optional;

/** Port: what an ECR repository holds, so pin can resolve tags and check digests. */
interface ImageCatalog {

  /**
   * The image {@code tag} points to now, or empty when the repository has no such tag.
   *
   * @throws OperatorException when the repository does not exist or ECR cannot be read
   */
  Optional<Image> byTag(EcrRegistry registry, String repository, String tag);

  /**
   * The image with {@code digest}, or empty when the repository does not hold it.
   *
   * @throws OperatorException when the repository does not exist or ECR cannot be read
   */
  Optional<Image> byDigest(EcrRegistry registry, String repository, Digest digest);

  /** An image in a repository: its digest and the tags that point to it now. */
  record Image(Digest digest, List<String> tags) {
    public Image {
      tags = List.copyOf(tags);
    }
  }
}
