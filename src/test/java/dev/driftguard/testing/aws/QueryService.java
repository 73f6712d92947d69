package dev.driftguard.testing.aws;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Base of the services that speak the AWS query protocol (EC2, ELBv2): a form-encoded {@code POST
 * /} with {@code Action} and {@code Version}, answered with XML. Several query services share one
 * URL here, as they would share a host name only in tests, so a request is routed by the SigV4
 * signing name in its credential scope ({@code ec2}, {@code elasticloadbalancing}), falling back to
 * its API {@code Version} when unsigned (so the missing-signature error comes back in the right
 * shape).
 */
abstract class QueryService implements AwsService {
  static final String CONTENT_TYPE = "text/xml";

  private final String signingName;
  private final String apiVersion;

  QueryService(String signingName, String apiVersion) {
    this.signingName = signingName;
    this.apiVersion = apiVersion;
  }

  /** The operations this service implements. */
  abstract List<String> operationNames();

  /** Answers one operation; the XML is built by the subclass. */
  abstract Xml call(String operation, Map<String, String> parameters);

  @Override
  public boolean accepts(AwsRequest request) {
    if (request.header("X-Amz-Target").isPresent()) {
      return false;
    }
    Optional<String> name = request.signingName();
    if (name.isPresent()) {
      return name.get().equals(signingName);
    }
    return apiVersion.equals(request.formParameters().get("Version"));
  }

  @Override
  public String operation(AwsRequest request) {
    String action = request.formParameters().get("Action");
    if (action == null || action.isEmpty()) {
      throw AwsFault.badRequest("MissingAction", "The request must contain the parameter Action");
    }
    if (!operationNames().contains(action)) {
      throw AwsFault.badRequest(
          "InvalidAction", "The action " + action + " is not valid for this web service.");
    }
    return action;
  }

  @Override
  public AwsReply handle(String operation, AwsRequest request) {
    return new AwsReply(200, CONTENT_TYPE, call(operation, request.formParameters()).bytes());
  }

  static String requestId() {
    return UUID.randomUUID().toString();
  }

  /**
   * The error shape of the query services other than EC2 (ELBv2, Auto Scaling): {@code
   * <ErrorResponse xmlns=NAMESPACE><Error><Type>Sender|Receiver</Type><Code>..</Code>
   * <Message>..</Message></Error><RequestId>..</RequestId></ErrorResponse>}.
   */
  static AwsReply errorResponse(String namespace, AwsFault fault) {
    String body =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ErrorResponse xmlns=\""
            + namespace
            + "\"><Error><Type>"
            + (fault.status() >= 500 ? "Receiver" : "Sender")
            + "</Type><Code>"
            + Ec2Service.escape(fault.code())
            + "</Code><Message>"
            + Ec2Service.escape(fault.getMessage() == null ? "" : fault.getMessage())
            + "</Message></Error><RequestId>"
            + requestId()
            + "</RequestId></ErrorResponse>";
    return AwsReply.text(fault.status(), CONTENT_TYPE, body);
  }

  // ---- form helpers -------------------------------------------------------------------------

  /**
   * The members of a flattened list: for {@code prefix} {@code Targets.member} the parameters
   * {@code Targets.member.1.Id=a&Targets.member.1.Port=80&Targets.member.2.Id=b} become {@code
   * [{Id=a, Port=80}, {Id=b}]}, in index order; a scalar member ({@code InstanceId.1=i-1}) is keyed
   * by the empty string.
   */
  static List<Map<String, String>> members(Map<String, String> parameters, String prefix) {
    TreeMap<Integer, Map<String, String>> byIndex = new TreeMap<>();
    String start = prefix + ".";
    for (Map.Entry<String, String> e : parameters.entrySet()) {
      if (!e.getKey().startsWith(start)) {
        continue;
      }
      String rest = e.getKey().substring(start.length());
      int dot = rest.indexOf('.');
      String index = dot < 0 ? rest : rest.substring(0, dot);
      int n;
      try {
        n = Integer.parseInt(index);
      } catch (NumberFormatException ex) {
        continue;
      }
      byIndex
          .computeIfAbsent(n, k -> new TreeMap<>())
          .put(dot < 0 ? "" : rest.substring(dot + 1), e.getValue());
    }
    return new ArrayList<>(byIndex.values());
  }

  /** The scalar values of a flattened list ({@code InstanceId.1}, {@code InstanceId.2}, ...). */
  static List<String> values(Map<String, String> parameters, String prefix) {
    List<String> values = new ArrayList<>();
    for (Map<String, String> m : members(parameters, prefix)) {
      if (m.containsKey("")) {
        values.add(m.get(""));
      }
    }
    return values;
  }
}
