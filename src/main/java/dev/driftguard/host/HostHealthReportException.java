package dev.driftguard.host;

import dev.driftguard.model.BackendException;

/**
 * The self-report to the Auto Scaling group failed. The message names the instance, the AWS error
 * code and what to do; never a credential.
 */
public class HostHealthReportException extends BackendException {
  private static final long serialVersionUID = 1L;
  private final String code;
  private final boolean permanent;

  /**
   * @param code the AWS error code ({@code ValidationError}, {@code Throttling}, ...) or the SDK
   *     exception's class name when AWS never answered
   */
  public HostHealthReportException(
      String message, String code, boolean throttled, boolean permanent, Throwable cause) {
    super(message, throttled, cause);
    this.code = code;
    this.permanent = permanent;
  }

  /** The AWS error code, or the SDK exception's class name when AWS never answered. */
  public String code() {
    return code;
  }

  /**
   * True when trying again cannot help: the instance is in no Auto Scaling group. (Missing IAM
   * permissions are not permanent: an operator may grant them while the host runs.)
   */
  public boolean permanent() {
    return permanent;
  }
}
