package dev.driftguard.testing.aws;

/**
 * An AWS error answer: the error code ({@code __type} in JSON protocols, {@code Code} in query
 * protocols), its message and HTTP status. Handlers throw it; the service's protocol renders it in
 * the shape the SDK parses.
 */
public final class AwsFault extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int status;
  private final String code;

  public AwsFault(int status, String code, String message) {
    super(message);
    this.status = status;
    this.code = code;
  }

  /** A client error (HTTP 400), the status AWS uses for almost every modelled error. */
  public static AwsFault badRequest(String code, String message) {
    return new AwsFault(400, code, message);
  }

  /** {@code ValidationException}, as AWS phrases constraint violations. */
  public static AwsFault validation(String message) {
    return badRequest("ValidationException", message);
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }
}
