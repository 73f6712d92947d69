package dev.driftguard.operator;

import dev.driftguard.model.Digest;
import dev.driftguard.model.ImageRef;
import dev.driftguard.model.InvalidValueException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code driftguard pin SERVICE IMAGE}: writes the service's desired-state record, but only a value
 * the agents will act on and an image that exists.
 *
 * <ol>
 *   <li>The image is checked as the agent will check the record (registry allowed, names well
 *       formed) before anything is asked of AWS.
 *   <li>A tag is resolved to the digest it points to now in ECR; a digest is checked to exist.
 *       Other registries cannot be asked, so pin refuses them unless {@code --no-verify}.
 *   <li>The value {@code REGISTRY/REPOSITORY[:tag]@sha256:...} is parsed by the agent's own parser
 *       ({@link dev.driftguard.model.DesiredRecord}); what it rejects is refused in its words.
 *   <li>The previous value is read and printed, with the command that restores it.
 * </ol>
 */
final class PinCommand {
  private final ParameterStore parameters;
  private final ImageCatalog images;
  private final PrintStream out;
  private final PrintStream err;

  PinCommand(ParameterStore parameters, ImageCatalog images, PrintStream out, PrintStream err) {
    this.parameters = parameters;
    this.images = images;
    this.out = out;
    this.err = err;
  }

  /**
   * @param noVerify skip the check that a digest exists (the only way to pin outside ECR)
   * @param dryRun check and print everything, write nothing
   * @throws OperatorException when pin refuses, saying why
   */
  Result run(ServiceTarget target, String imageArgument, boolean noVerify, boolean dryRun) {
    ImageArgument image;
    try {
      image = ImageArgument.parse(imageArgument);
    } catch (InvalidValueException e) {
      throw new OperatorException("refused: " + e.getMessage());
    }
    PinValue.earlyRejection(image, target.allowedRegistries())
        .ifPresent(
            why -> {
              throw new OperatorException("refused, the agents would reject it: " + why);
            });
    out.println("service:   " + target.service());
    out.println("parameter: " + target.parameter());
    Digest digest = resolve(image, noVerify);
    String value = PinValue.build(image, digest);
    PinValue.rejection(value, target.allowedRegistries())
        .ifPresent(
            why -> {
              throw new OperatorException("refused, the agents would reject it: " + why);
            });

    Optional<ParameterStore.StoredParameter> previous = parameters.get(target.parameter());
    if (previous.isPresent() && previous.get().isSecure()) {
      throw new OperatorException(
          "refused: "
              + target.parameter()
              + " is a SecureString parameter, not a desired-state record; check --parameter and"
              + " the hosts' desired.ssmParameter");
    }
    out.println(
        "previous:  "
            + previous.map(p -> p.value() + " (version " + p.version() + ")").orElse("none"));
    if (previous.isPresent() && previous.get().value().strip().equals(value)) {
      out.println("unchanged: " + value + " is pinned already; nothing written");
      return Result.OK;
    }
    if (dryRun) {
      out.println("would pin: " + value + " (--dry-run: nothing written)");
      return Result.OK;
    }
    long version = parameters.put(target.parameter(), value);
    out.println("pinned:    " + value + " (version " + version + ")");
    if (previous.isPresent()) {
      out.println("roll back: " + rollbackCommand(target, previous.get().value()));
    } else {
      out.println(
          "roll back: there was no previous value; hosts keep their containers when the record is"
              + " deleted (aws ssm delete-parameter --name "
              + Text.shellWord(target.parameter())
              + ")");
    }
    out.println("watch:     driftguard rollout-status " + target.service() + " --wait");
    return Result.OK;
  }

  /** The digest to pin: the tag's in ECR, or the given one after checking it exists. */
  private Digest resolve(ImageArgument image, boolean noVerify) {
    Optional<EcrRegistry> ecr = EcrRegistry.fromHost(image.registry());
    if (ecr.isEmpty()) {
      if (image.digest() == null) {
        throw new OperatorException(
            "refused: "
                + image.registry()
                + " is not an ECR registry, so the tag '"
                + image.tag()
                + "' cannot be resolved to a digest here; pin "
                + image.repositoryName()
                + "@sha256:<64 hex> with --no-verify");
      }
      if (!noVerify) {
        throw new OperatorException(
            "refused: "
                + image.registry()
                + " is not an ECR registry, so pin cannot check that "
                + image.digest().shortForm()
                + " exists there; pass --no-verify to pin it unchecked");
      }
      err.println(
          "note: " + image.registry() + " is not ECR; " + image.digest() + " is pinned unchecked");
      return image.digest();
    }
    EcrRegistry registry = ecr.get();
    if (image.digest() == null) {
      ImageCatalog.Image found =
          images
              .byTag(registry, image.repository(), image.tag())
              .orElseThrow(
                  () ->
                      new OperatorException(
                          "refused: tag '"
                              + image.tag()
                              + "' does not exist in "
                              + image.repositoryName()
                              + " (ECR); push it first, or pin a digest"));
      out.println("resolved:  " + image + " -> " + found.digest());
      return found.digest();
    }
    if (noVerify) {
      err.println("note: --no-verify: " + image.digest() + " is pinned without asking ECR");
      return image.digest();
    }
    ImageCatalog.Image found =
        images
            .byDigest(registry, image.repository(), image.digest())
            .orElseThrow(
                () ->
                    new OperatorException(
                        "refused: "
                            + image.digest()
                            + " does not exist in "
                            + image.repositoryName()
                            + " (ECR); hosts could not pull it"));
    if (image.tag() != null && !found.tags().contains(image.tag())) {
      // The tag is informational (the digest decides), but a stale one misleads whoever reads it.
      err.println(
          "note: tag '"
              + image.tag()
              + "' does not point to "
              + image.digest().shortForm()
              + " in ECR "
              + (found.tags().isEmpty()
                  ? "(the image has no tags)"
                  : "(its tags: " + found.tags() + ")")
              + "; the digest decides what runs");
    }
    return image.digest();
  }

  /** {@code driftguard pin SERVICE PREVIOUS [options]}: what restores the previous value. */
  static String rollbackCommand(ServiceTarget target, String previousValue) {
    List<String> words = new ArrayList<>(List.of("driftguard", "pin", target.service()));
    words.add(previousValue.strip());
    words.addAll(target.overrides());
    try {
      ImageRef previous = ImageRef.parse(previousValue);
      if (EcrRegistry.fromHost(previous.registry()).isEmpty()) {
        words.add("--no-verify");
      }
    } catch (InvalidValueException e) {
      // Not a pinned reference: pin will refuse it and say why, which is the right answer.
    }
    return String.join(" ", words.stream().map(Text::shellWord).toList());
  }
}
