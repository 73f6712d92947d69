package dev.driftguard.testing.aws;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Base of the services that speak the AWS JSON 1.1 protocol: {@code POST /} with the operation in
 * {@code X-Amz-Target: <prefix>.<Operation>}, a JSON body, and errors as HTTP 400 with {@code
 * {"__type": code, "message": text}}, which is what the SDK's JSON error parser reads.
 */
public abstract class JsonService implements AwsService {
  static final String CONTENT_TYPE = "application/x-amz-json-1.1";
  protected static final ObjectMapper JSON = new ObjectMapper();

  private final String targetPrefix;
  private final String contentType;

  protected JsonService(String targetPrefix) {
    this(targetPrefix, CONTENT_TYPE);
  }

  /** For services on JSON 1.0 ({@code application/x-amz-json-1.0}, e.g. DynamoDB). */
  protected JsonService(String targetPrefix, String contentType) {
    this.targetPrefix = targetPrefix;
    this.contentType = contentType;
  }

  /** The error's {@code __type} as this service writes it; some prefix it with a namespace. */
  protected String errorType(String code) {
    return code;
  }

  /** Operation name to implementation; the input is the request body. */
  protected abstract Map<String, Function<JsonNode, JsonNode>> operations();

  @Override
  public boolean accepts(AwsRequest request) {
    return request.header("X-Amz-Target").map(t -> t.startsWith(targetPrefix + ".")).orElse(false);
  }

  @Override
  public String operation(AwsRequest request) {
    String target = request.header("X-Amz-Target").orElse("");
    String operation = target.substring(target.indexOf('.') + 1);
    if (!operations().containsKey(operation)) {
      throw AwsFault.badRequest("UnknownOperationException", null);
    }
    return operation;
  }

  @Override
  public AwsReply handle(String operation, AwsRequest request) {
    JsonNode input;
    try {
      input = request.body().length == 0 ? JSON.createObjectNode() : JSON.readTree(request.body());
    } catch (IOException e) {
      throw AwsFault.badRequest(
          "SerializationException", "Start of structure or map found where not expected.");
    }
    if (input == null || !input.isObject()) {
      throw AwsFault.badRequest(
          "SerializationException", "Start of structure or map found where not expected.");
    }
    JsonNode output = call(operation, input, request);
    return json(200, output);
  }

  /**
   * Answers one operation. By default from {@link #operations()}; a service whose answer depends on
   * the request itself (its signing region) overrides this.
   */
  protected JsonNode call(String operation, JsonNode input, AwsRequest request) {
    return operations().get(operation).apply(input);
  }

  @Override
  public AwsReply error(AwsFault fault) {
    ObjectNode body = JSON.createObjectNode().put("__type", errorType(fault.code()));
    if (fault.getMessage() != null) {
      body.put("message", fault.getMessage());
    }
    return json(fault.status(), body);
  }

  private AwsReply json(int status, JsonNode body) {
    try {
      return new AwsReply(status, contentType, JSON.writeValueAsBytes(body));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  // Input helpers: AWS reports a missing required member as a ValidationException.

  protected static String requiredString(JsonNode input, String member) {
    JsonNode node = input.get(member);
    if (node == null || node.isNull()) {
      throw AwsFault.validation(
          "1 validation error detected: Value null at '"
              + lowerFirst(member)
              + "' failed to satisfy constraint: Member must not be null");
    }
    if (!node.isTextual()) {
      throw AwsFault.badRequest("SerializationException", "Unexpected value for member " + member);
    }
    return node.asText();
  }

  protected static Optional<String> optionalString(JsonNode input, String member) {
    JsonNode node = input.get(member);
    return node == null || node.isNull() ? Optional.empty() : Optional.of(node.asText());
  }

  protected static boolean optionalBoolean(JsonNode input, String member) {
    JsonNode node = input.get(member);
    return node != null && node.asBoolean(false);
  }

  /** JSON 1.1 timestamps are epoch seconds, with a fraction. */
  protected static BigDecimal epochSeconds(Instant instant) {
    return BigDecimal.valueOf(instant.toEpochMilli(), 3);
  }

  protected static String lowerFirst(String s) {
    return Character.toLowerCase(s.charAt(0)) + s.substring(1);
  }
}
