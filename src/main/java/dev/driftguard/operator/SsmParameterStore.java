package dev.driftguard.operator;

import java.util.Optional;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.GetParametersResponse;
import software.amazon.awssdk.services.ssm.model.Parameter;
import software.amazon.awssdk.services.ssm.model.ParameterType;
import software.amazon.awssdk.services.ssm.model.PutParameterResponse;

/**
 * {@link ParameterStore} on SSM. Reads with {@code GetParameters}, the action the agent's role also
 * uses, because it reports a missing name in {@code InvalidParameters} instead of throwing.
 */
final class SsmParameterStore implements ParameterStore {
  private final SsmClient ssm;

  SsmParameterStore(SsmClient ssm) {
    this.ssm = ssm;
  }

  @Override
  public Optional<StoredParameter> get(String name) {
    GetParametersResponse response;
    try {
      response = ssm.getParameters(r -> r.names(name).withDecryption(false));
    } catch (SdkException e) {
      throw AwsCallException.of("reading SSM parameter " + name, e);
    }
    // One name asked: a missing one is listed in InvalidParameters and Parameters is empty.
    for (Parameter p : response.parameters()) {
      return Optional.of(
          new StoredParameter(
              p.name(), p.typeAsString(), p.value(), p.version() == null ? 0 : p.version()));
    }
    return Optional.empty();
  }

  @Override
  public long put(String name, String value) {
    PutParameterResponse response;
    try {
      response =
          ssm.putParameter(
              r -> r.name(name).value(value).type(ParameterType.STRING).overwrite(true));
    } catch (SdkException e) {
      throw AwsCallException.of("writing SSM parameter " + name, e);
    }
    return response.version() == null ? 0 : response.version();
  }
}
