package dev.driftguard.config;

import dev.driftguard.model.DesiredSource;
import dev.driftguard.model.InvalidValueException;

/**
 * {@code {service}} in {@code desired.ssmParameter}, {@code desired.file} and {@code
 * container.envFromSsm} values: replaced by the service's final name (after interpolation), so one
 * configuration serves every app_environment. Shared by {@link DesiredReader} and {@link
 * ContainerReader}, which read those values.
 */
final class ServicePlaceholder {
  private static final String PLACEHOLDER = "{service}";

  private ServicePlaceholder() {}

  /**
   * True when {@code value} needs the service's name and there is none: the name's own error is
   * already reported, so the value is skipped rather than reported again.
   */
  static boolean awaitsName(String value, String name) {
    return value.contains(PLACEHOLDER) && name == null;
  }

  /** {@code value} with the service's name in place of {@code {service}}. */
  static String fill(String value, String name) {
    return name == null ? value : value.replace(PLACEHOLDER, name);
  }

  /**
   * {@code value}, filled, as an SSM parameter name.
   *
   * @throws InvalidValueException when the result is not one
   */
  static String ssmName(String value, String name) {
    String filled = fill(value, name);
    if (!DesiredSource.Ssm.isValidName(filled)) {
      throw new InvalidValueException(
          "'"
              + filled
              + "' is not an SSM parameter name (letters, digits, _ . - /"
              + (filled.contains("{") ? "; only " + PLACEHOLDER + " is replaced" : "")
              + ")");
    }
    return filled;
  }
}
