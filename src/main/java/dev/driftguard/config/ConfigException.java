package dev.driftguard.config;

import dev.driftguard.model.DriftguardException;
import java.util.List;

/**
 * The host configuration is invalid. {@link #errors()} holds every problem found, each written
 * {@code path: message} (e.g. {@code services[0].health.port: must be 1..65535}), so an operator
 * fixes the file in one round instead of one error per restart.
 */
public final class ConfigException extends DriftguardException {
  private static final long serialVersionUID = 1L;

  private final List<String> errors;

  public ConfigException(String source, List<String> errors) {
    super(message(source, errors));
    this.errors = List.copyOf(errors);
  }

  /** Every problem, {@code path: message}, in file order. Never empty. */
  public List<String> errors() {
    return errors;
  }

  private static String message(String source, List<String> errors) {
    StringBuilder text =
        new StringBuilder("invalid configuration ")
            .append(source)
            .append(" (")
            .append(errors.size())
            .append(errors.size() == 1 ? " error)" : " errors)");
    for (String error : errors) {
      text.append("\n  ").append(error);
    }
    return text.toString();
  }
}
