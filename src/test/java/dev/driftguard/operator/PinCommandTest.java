package dev.driftguard.operator;

import static dev.driftguard.operator.Fakes.ECR;
import static dev.driftguard.operator.Fakes.digest;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PinCommandTest {
  private static final String PARAMETER = "/driftguard/web/image";
  private static final ServiceTarget TARGET =
      new ServiceTarget("web", PARAMETER, Set.of(ECR), List.of());

  private final Fakes.Parameters parameters = new Fakes.Parameters();
  private final Fakes.Images images =
      new Fakes.Images().with("web", digest('a'), "v1").with("web", digest('b'), "v2", "latest");
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private final PinCommand pin =
      new PinCommand(
          parameters,
          images,
          new PrintStream(out, true, StandardCharsets.UTF_8),
          new PrintStream(err, true, StandardCharsets.UTF_8));

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void tag_isResolvedToItsDigest_andThePreviousValueIsPrinted() {
    parameters.with(PARAMETER, ECR + "/web:v1@" + digest('a'));

    assertThat(pin.run(TARGET, ECR + "/web:v2", false, false)).isEqualTo(Result.OK);

    assertThat(parameters.puts).containsExactly(PARAMETER + "=" + ECR + "/web:v2@" + digest('b'));
    assertThat(out())
        .contains("resolved:  " + ECR + "/web:v2 -> " + digest('b'))
        .contains("previous:  " + ECR + "/web:v1@" + digest('a') + " (version 1)")
        .contains("pinned:    " + ECR + "/web:v2@" + digest('b') + " (version 2)")
        .contains("roll back: driftguard pin web " + ECR + "/web:v1@" + digest('a'));
  }

  @Test
  void digest_isCheckedToExist_andWrittenAsGiven() {
    assertThat(pin.run(TARGET, ECR + "/web@" + digest('a'), false, false)).isEqualTo(Result.OK);

    assertThat(parameters.puts).containsExactly(PARAMETER + "=" + ECR + "/web@" + digest('a'));
    assertThat(out()).contains("previous:  none").contains("there was no previous value");
  }

  @Test
  void unknownTag_isRefused_andNothingWritten() {
    assertThatThrownBy(() -> pin.run(TARGET, ECR + "/web:v3", false, false))
        .isInstanceOf(OperatorException.class)
        .hasMessageContaining("tag 'v3' does not exist in " + ECR + "/web");
    assertThat(parameters.puts).isEmpty();
  }

  @Test
  void missingDigest_isRefused() {
    assertThatThrownBy(() -> pin.run(TARGET, ECR + "/web@" + digest('c'), false, false))
        .isInstanceOf(OperatorException.class)
        .hasMessageContaining(digest('c') + " does not exist in " + ECR + "/web");
    assertThat(parameters.puts).isEmpty();
  }

  @Test
  void disallowedRegistry_isRefusedInTheAgentsWords_beforeAskingEcr() {
    ServiceTarget other =
        new ServiceTarget("web", PARAMETER, Set.of("registry.example.com"), List.of());

    assertThatThrownBy(() -> pin.run(other, ECR + "/web:v2", false, false))
        .isInstanceOf(OperatorException.class)
        .hasMessageContaining("the agents would reject it")
        .hasMessageContaining(
            "registry " + ECR + " is not in allowedRegistries [registry.example.com]");
    assertThat(images.calls).isZero();
    assertThat(parameters.puts).isEmpty();
  }

  @Test
  void nonEcrRegistry_isRefusedUnlessNoVerify() {
    ServiceTarget target =
        new ServiceTarget("web", PARAMETER, Set.of("registry.example.com"), List.of());
    String image = "registry.example.com/web@" + digest('d');

    assertThatThrownBy(() -> pin.run(target, image, false, false))
        .isInstanceOf(OperatorException.class)
        .hasMessageContaining("not an ECR registry")
        .hasMessageContaining("--no-verify");
    assertThatThrownBy(() -> pin.run(target, "registry.example.com/web:v1", true, false))
        .isInstanceOf(OperatorException.class)
        .hasMessageContaining("cannot be resolved");

    assertThat(pin.run(target, image, true, false)).isEqualTo(Result.OK);
    assertThat(parameters.puts).containsExactly(PARAMETER + "=" + image);
  }

  @Test
  void theSameValueAgain_writesNothing() {
    parameters.with(PARAMETER, ECR + "/web@" + digest('a'));

    assertThat(pin.run(TARGET, ECR + "/web@" + digest('a'), false, false)).isEqualTo(Result.OK);

    assertThat(parameters.puts).isEmpty();
    assertThat(out()).contains("unchanged");
  }

  @Test
  void dryRun_checksEverything_writesNothing() {
    assertThat(pin.run(TARGET, ECR + "/web:v2", false, true)).isEqualTo(Result.OK);

    assertThat(parameters.puts).isEmpty();
    assertThat(out()).contains("would pin: " + ECR + "/web:v2@" + digest('b'));
  }

  @Test
  void secureStringParameter_isNeitherPrintedNorOverwritten() {
    parameters.values.put(
        PARAMETER,
        new ParameterStore.StoredParameter(PARAMETER, "SecureString", "ciphertext-s3cret", 3));

    assertThatThrownBy(() -> pin.run(TARGET, ECR + "/web:v2", false, false))
        .isInstanceOf(OperatorException.class)
        .hasMessageContaining("SecureString")
        .hasMessageNotContaining("s3cret");
    assertThat(out()).doesNotContain("s3cret");
    assertThat(parameters.puts).isEmpty();
  }

  @Test
  void rollbackCommand_repeatsTheOverridesAndQuotes() {
    ServiceTarget target =
        new ServiceTarget(
            "web",
            "/custom/web",
            Set.of(ECR),
            List.of("--parameter", "/custom/web", "--allowed-registry", ECR));

    assertThat(PinCommand.rollbackCommand(target, ECR + "/web@" + digest('a')))
        .isEqualTo(
            "driftguard pin web "
                + ECR
                + "/web@"
                + digest('a')
                + " --parameter /custom/web --allowed-registry "
                + ECR);
    assertThat(PinCommand.rollbackCommand(TARGET, "registry.example.com/web@" + digest('a')))
        .endsWith(" --no-verify");
    assertThat(PinCommand.rollbackCommand(TARGET, "not pinned; really"))
        .contains("'not pinned; really'");
  }
}
