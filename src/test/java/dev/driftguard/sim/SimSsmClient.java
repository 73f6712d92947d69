package dev.driftguard.sim;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.DeleteParameterRequest;
import software.amazon.awssdk.services.ssm.model.DeleteParameterResponse;
import software.amazon.awssdk.services.ssm.model.GetParameterRequest;
import software.amazon.awssdk.services.ssm.model.GetParameterResponse;
import software.amazon.awssdk.services.ssm.model.GetParametersRequest;
import software.amazon.awssdk.services.ssm.model.GetParametersResponse;
import software.amazon.awssdk.services.ssm.model.Parameter;
import software.amazon.awssdk.services.ssm.model.ParameterAlreadyExistsException;
import software.amazon.awssdk.services.ssm.model.ParameterNotFoundException;
import software.amazon.awssdk.services.ssm.model.ParameterType;
import software.amazon.awssdk.services.ssm.model.PutParameterRequest;
import software.amazon.awssdk.services.ssm.model.PutParameterResponse;
import software.amazon.awssdk.services.ssm.model.SsmException;

/**
 * Parameter Store as the agent's adapters call it: GetParameters and GetParameter read lagged
 * values; PutParameter (create-if-absent without {@code Overwrite}) and DeleteParameter decide on
 * the latest write. All share the account's SSM bucket ({@code ThrottlingException}).
 */
public final class SimSsmClient implements SsmClient {
  private final SimAws aws;

  public SimSsmClient(SimAws aws) {
    this.aws = aws;
  }

  private void admit(String operation) {
    aws.admit(
        "ssm:" + operation,
        ApiLimit.SSM.name(),
        null,
        1,
        () ->
            SimAws.error(
                SsmException.builder(), "Ssm", 400, "ThrottlingException", "Rate exceeded"));
  }

  @Override
  public GetParametersResponse getParameters(GetParametersRequest request) {
    admit("GetParameters");
    if (request.names().isEmpty() || request.names().size() > 10) {
      throw SimAws.error(
          SsmException.builder(),
          "Ssm",
          400,
          "ValidationException",
          "names must hold 1 to 10 names");
    }
    List<Parameter> found = new ArrayList<>();
    List<String> invalid = new ArrayList<>();
    for (String name : new LinkedHashSet<>(request.names())) {
      SimAws.Parameter p = read(name);
      if (p == null) {
        invalid.add(name);
      } else {
        found.add(parameter(name, p));
      }
    }
    return GetParametersResponse.builder().parameters(found).invalidParameters(invalid).build();
  }

  @Override
  public GetParameterResponse getParameter(GetParameterRequest request) {
    admit("GetParameter");
    SimAws.Parameter p = read(request.name());
    if (p == null) {
      throw notFound();
    }
    return GetParameterResponse.builder().parameter(parameter(request.name(), p)).build();
  }

  @Override
  public PutParameterResponse putParameter(PutParameterRequest request) {
    admit("PutParameter");
    Lagged<SimAws.Parameter> p =
        aws.parameters.computeIfAbsent(request.name(), k -> new Lagged<>(null));
    SimAws.Parameter previous = p.truth();
    if (previous != null && !Boolean.TRUE.equals(request.overwrite())) {
      throw SimAws.error(
          ParameterAlreadyExistsException.builder(),
          "Ssm",
          400,
          "ParameterAlreadyExists",
          "The parameter already exists. To overwrite this value, set the overwrite option in the"
              + " request to true.");
    }
    long version = previous == null ? 1 : previous.version() + 1;
    p.write(aws.scheduler.now(), aws.lag(), new SimAws.Parameter(request.value(), version));
    return PutParameterResponse.builder().version(version).build();
  }

  @Override
  public DeleteParameterResponse deleteParameter(DeleteParameterRequest request) {
    admit("DeleteParameter");
    Lagged<SimAws.Parameter> p = aws.parameters.get(request.name());
    if (p == null || p.truth() == null) {
      throw notFound();
    }
    p.write(aws.scheduler.now(), aws.lag(), null);
    return DeleteParameterResponse.builder().build();
  }

  private SimAws.Parameter read(String name) {
    Lagged<SimAws.Parameter> p = aws.parameters.get(name);
    return p == null ? null : p.read(aws.scheduler.now());
  }

  private static AwsServiceException notFound() {
    return SimAws.error(ParameterNotFoundException.builder(), "Ssm", 400, "ParameterNotFound", "");
  }

  private static Parameter parameter(String name, SimAws.Parameter p) {
    return Parameter.builder()
        .name(name)
        .value(p.value())
        .version(p.version())
        .type(ParameterType.STRING)
        .build();
  }

  @Override
  public String serviceName() {
    return SERVICE_NAME;
  }

  @Override
  public void close() {}
}
