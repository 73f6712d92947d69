package dev.driftguard.runtime;

/** An image could not be pulled, or what was pulled does not carry the requested digest. */
public class ImagePullException extends ContainerRuntimeException {
  private static final long serialVersionUID = 1L;

  public ImagePullException(String message, Throwable cause) {
    super("pull", message, cause);
  }
}
