package dev.driftguard.operator;

import java.util.Optional;

/**
 * Port: the desired-state records in SSM Parameter Store, as the operator reads and writes them.
 */
interface ParameterStore {

  /**
   * The parameter's current value, or empty when it does not exist. SecureString values are never
   * decrypted: the desired-state record is a String and a secret must not reach a terminal.
   *
   * @throws AwsCallException when SSM cannot be read
   */
  Optional<StoredParameter> get(String name);

  /**
   * Writes {@code value} as a String parameter, overwriting the current value.
   *
   * @return the new version
   * @throws AwsCallException when SSM refuses
   */
  long put(String name, String value);

  /**
   * One parameter as read.
   *
   * @param type {@code String}, {@code StringList} or {@code SecureString}
   * @param value the value; ciphertext for a SecureString, which callers never print
   */
  record StoredParameter(String name, String type, String value, long version) {
    boolean isSecure() {
      return "SecureString".equals(type);
    }
  }
}
