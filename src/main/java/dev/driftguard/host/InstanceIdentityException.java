package dev.driftguard.host;

import dev.driftguard.model.DriftguardException;

/**
 * This host's identity could not be read: IMDS did not answer (not on EC2, IMDS disabled, hop limit
 * too low for a container) or EC2 {@code DescribeTags} failed. The message names the metadata path
 * or API operation and the error, never a token or credential.
 */
public class InstanceIdentityException extends DriftguardException {
  private static final long serialVersionUID = 1L;

  public InstanceIdentityException(String message, Throwable cause) {
    super(message, cause);
  }
}
