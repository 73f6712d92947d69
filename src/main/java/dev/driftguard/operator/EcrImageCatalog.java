package dev.driftguard.operator;

import dev.driftguard.model.Digest;
import java.util.Optional;
import java.util.function.Function;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ecr.EcrClient;
import software.amazon.awssdk.services.ecr.model.DescribeImagesResponse;
import software.amazon.awssdk.services.ecr.model.ImageDetail;
import software.amazon.awssdk.services.ecr.model.ImageIdentifier;
import software.amazon.awssdk.services.ecr.model.ImageNotFoundException;
import software.amazon.awssdk.services.ecr.model.RepositoryNotFoundException;

/**
 * {@link ImageCatalog} on ECR's {@code DescribeImages}, asking for one image id so the answer is
 * one small page. The client is chosen per registry because ECR is regional and the registry's
 * region is in its host name, not in the operator's configuration.
 */
final class EcrImageCatalog implements ImageCatalog {
  private final Function<EcrRegistry, EcrClient> clients;

  /** {@code clients} gives the ECR client for a registry's region. */
  EcrImageCatalog(Function<EcrRegistry, EcrClient> clients) {
    this.clients = clients;
  }

  @Override
  public Optional<Image> byTag(EcrRegistry registry, String repository, String tag) {
    return describe(registry, repository, ImageIdentifier.builder().imageTag(tag).build(), tag);
  }

  @Override
  public Optional<Image> byDigest(EcrRegistry registry, String repository, Digest digest) {
    return describe(
        registry,
        repository,
        ImageIdentifier.builder().imageDigest(digest.value()).build(),
        digest.value());
  }

  private Optional<Image> describe(
      EcrRegistry registry, String repository, ImageIdentifier id, String what) {
    DescribeImagesResponse response;
    try {
      response =
          clients
              .apply(registry)
              .describeImages(
                  r -> r.registryId(registry.accountId()).repositoryName(repository).imageIds(id));
    } catch (ImageNotFoundException e) {
      return Optional.empty();
    } catch (RepositoryNotFoundException e) {
      throw new OperatorException(
          "ECR repository '"
              + repository
              + "' does not exist in registry "
              + registry.host()
              + " (account "
              + registry.accountId()
              + ", region "
              + registry.region()
              + ")",
          e);
    } catch (SdkException e) {
      throw AwsCallException.of(
          "looking up " + registry.host() + "/" + repository + " " + what + " in ECR", e);
    }
    for (ImageDetail detail : response.imageDetails()) {
      if (detail.imageDigest() != null) {
        return Optional.of(new Image(Digest.parse(detail.imageDigest()), detail.imageTags()));
      }
    }
    return Optional.empty();
  }
}
