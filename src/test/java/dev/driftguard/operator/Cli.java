package dev.driftguard.operator;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Runs {@code driftguard ARGS} in-process through {@code cli.Main#execute}, capturing stdout and
 * stderr. Main's test constructor is package-private to {@code cli}, so it is reached reflectively
 * from here rather than by putting operator tests in another package.
 */
final class Cli {
  /** Credentials the local AWS endpoint accepts; tests check they are never printed. */
  static final Map<String, String> ENV =
      Map.of(
          "AWS_ACCESS_KEY_ID", "AKIALOCALAWSTEST0000",
          "AWS_SECRET_ACCESS_KEY", "local-aws-secret",
          "AWS_EC2_METADATA_DISABLED", "true");

  /** What one run printed and returned. */
  record Run(int code, String out, String err) {
    String all() {
      return out + err;
    }
  }

  private Cli() {}

  static Run run(String... args) {
    return run(ENV, args);
  }

  static Run run(Map<String, String> env, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      Class<?> main = Class.forName("dev.driftguard.cli.Main");
      Constructor<?> constructor =
          main.getDeclaredConstructor(Map.class, PrintStream.class, PrintStream.class);
      constructor.setAccessible(true);
      Object instance =
          constructor.newInstance(
              env,
              new PrintStream(out, true, StandardCharsets.UTF_8),
              new PrintStream(err, true, StandardCharsets.UTF_8));
      Method execute = main.getDeclaredMethod("execute", String[].class);
      execute.setAccessible(true);
      int code = (int) execute.invoke(instance, (Object) args);
      return new Run(
          code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } catch (InvocationTargetException e) {
      throw new AssertionError("driftguard threw instead of exiting", e.getCause());
    } catch (ReflectiveOperationException e) {
      throw new AssertionError("cannot run cli.Main", e);
    }
  }
}
