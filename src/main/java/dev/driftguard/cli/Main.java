package dev.driftguard.cli;

import dev.driftguard.config.ConfigException;
import dev.driftguard.config.ConfigLoader;
import dev.driftguard.config.LogFormat;
import dev.driftguard.metrics.LogOutput;
import dev.driftguard.model.DriftguardException;
import dev.driftguard.model.Spelling;
import dev.driftguard.operator.AwsAccess;
import dev.driftguard.operator.OperatorCommands;
import dev.driftguard.reconcile.ReconcileLoop;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.LoggerFactory;

/**
 * The {@code driftguard} command. Parses the command line, loads the configuration and hands over
 * to {@link Agent}, the composition root.
 */
public final class Main {
  static final String DEFAULT_CONFIG = CommandTable.DEFAULT_CONFIG;
  private static final String USAGE = CommandTable.usage();

  private final Map<String, String> environment;
  private final PrintStream out;
  private final PrintStream err;
  private volatile boolean stopping;

  Main(Map<String, String> environment, PrintStream out, PrintStream err) {
    this.environment = Map.copyOf(environment);
    this.out = out;
    this.err = err;
  }

  public static void main(String[] args) {
    Main main = new Main(System.getenv(), System.out, System.err);
    int code = main.execute(args);
    // After SIGTERM the JVM is already shutting down, and System.exit would block forever.
    if (!main.stopping) {
      System.exit(code);
    }
  }

  int execute(String[] args) {
    Invocation invocation = parse(args);
    if (invocation.command() == null) {
      return invocation.exit();
    }
    return dispatch(invocation.command(), invocation.rest(), invocation.config());
  }

  /**
   * What the command line asks for: a command with the words after it and the configuration file,
   * or, when the command line is done with before any command runs (help, version, a usage error),
   * only the exit code.
   */
  record Invocation(String command, List<String> rest, Path config, int exit) {
    static Invocation done(int exit) {
      return new Invocation(null, List.of(), null, exit);
    }
  }

  /**
   * Parses {@code args} without running anything: the global options, the command name and, for the
   * agent's commands, the options after it. Help, version and usage errors are printed here.
   */
  Invocation parse(String[] args) {
    List<String> rest = new ArrayList<>(List.of(args));
    Path[] config = {Path.of(environment.getOrDefault("DRIFTGUARD_CONFIG", DEFAULT_CONFIG))};
    Integer stop = takeOptions(rest, config);
    if (stop != null) {
      return Invocation.done(stop);
    }
    if (rest.isEmpty()) {
      err.print(USAGE);
      return Invocation.done(ExitCode.USAGE);
    }
    String command = rest.remove(0);
    CommandTable.Command known = CommandTable.command(command);
    if (known == null) {
      err.print(
          "driftguard: unknown command "
              + command
              + Spelling.didYouMean(command, CommandTable.commandWords())
              + "\n"
              + USAGE);
      return Invocation.done(ExitCode.USAGE);
    }
    if (!known.operator()) {
      // The agent's commands take options on either side (driftguard validate --config FILE)
      // and no arguments; the operator commands parse what follows them themselves.
      stop = takeOptions(rest, config);
      if (stop != null) {
        return Invocation.done(stop);
      }
      if (!rest.isEmpty()) {
        err.print("driftguard: " + command + " takes no arguments, got " + rest + "\n" + USAGE);
        return Invocation.done(ExitCode.USAGE);
      }
    }
    return new Invocation(command, List.copyOf(rest), config[0], ExitCode.OK);
  }

  /**
   * Consumes the global options at the head of {@code args} ({@code --config}, {@code
   * --log-format}, {@code --help}, {@code --version}); {@code config[0]} receives the configuration
   * path.
   *
   * @return an exit code when the command line is done with (help, version, a bad option), else
   *     null
   */
  private Integer takeOptions(List<String> args, Path[] config) {
    while (!args.isEmpty() && args.get(0).startsWith("--")) {
      String option = args.remove(0);
      if (option.equals("--config") && !args.isEmpty()) {
        config[0] = Path.of(args.remove(0));
      } else if (option.startsWith("--config=")) {
        config[0] = Path.of(option.substring("--config=".length()));
      } else if ((option.equals("--log-format") && !args.isEmpty())
          || option.startsWith("--log-format=")) {
        String value =
            option.contains("=") ? option.substring(option.indexOf('=') + 1) : args.remove(0);
        if (!value.equals("text") && !value.equals("json")) {
          err.print("driftguard: --log-format is text or json, not " + value + "\n" + USAGE);
          return ExitCode.USAGE;
        }
        LogOutput.chooseOnCommandLine(value.equals("json") ? LogFormat.JSON : LogFormat.TEXT);
      } else if (option.equals("--config") || option.equals("--log-format")) {
        err.print("driftguard: " + option + " needs a value\n" + USAGE);
        return ExitCode.USAGE;
      } else if (option.equals("--help")) {
        out.print(USAGE);
        return ExitCode.OK;
      } else if (option.equals("--version")) {
        return version();
      } else {
        String name = option.contains("=") ? option.substring(0, option.indexOf('=')) : option;
        err.print(
            "driftguard: unknown option "
                + option
                + Spelling.didYouMean(name, CommandTable.optionNames())
                + "\n"
                + USAGE);
        return ExitCode.USAGE;
      }
    }
    return null;
  }

  private int dispatch(String command, List<String> rest, Path config) {
    try {
      return switch (command) {
        case "version" -> version();
        case "validate" -> validate(config);
        case "once" -> once(config);
        case "run" -> run(config);
        case "status", "pin", "rollout-status" -> operator(command, rest, config);
        // parse() lets only the command table's names through, and answers the others itself.
        default -> throw new IllegalStateException("no dispatch for command " + command);
      };
    } catch (ConfigException e) {
      err.println("driftguard: invalid configuration " + config + ":");
      e.errors().forEach(line -> err.println("  " + line));
      return ExitCode.ERROR;
    } catch (DriftguardException e) {
      err.println("driftguard: " + e.getMessage());
      return ExitCode.ERROR;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return ExitCode.ERROR;
    }
  }

  /** The operator commands, with SDK clients built here like the agent's (one set per region). */
  private int operator(String command, List<String> args, Path config) throws InterruptedException {
    OperatorCommands commands =
        new OperatorCommands(
            (region, endpoints, credentials) -> {
              AwsClients clients =
                  AwsClients.builder()
                      .region(region)
                      .endpoints(endpoints)
                      .credentialsProvider(credentials)
                      .build();
              return AwsAccess.Clients.of(clients::ssm, clients::ecr, clients::ec2, clients::close);
            },
            environment,
            out,
            err);
    return switch (commands.run(command, args, config)) {
      case OK -> ExitCode.OK;
      case ERROR -> ExitCode.ERROR;
      case NOT_CONVERGED -> ExitCode.NOT_IN_SYNC;
      case ROLLED_BACK -> ExitCode.ROLLED_BACK;
      case TIMED_OUT -> ExitCode.TIMED_OUT;
      case USAGE -> ExitCode.USAGE;
    };
  }

  private int version() {
    out.println("driftguard " + Version.current());
    return ExitCode.OK;
  }

  private int validate(Path config) {
    if (!Files.isReadable(config)) {
      err.println(config + ": cannot read the configuration file");
      return ExitCode.ERROR;
    }
    List<String> errors = ConfigLoader.validate(config, environment);
    if (errors.isEmpty()) {
      out.println(config + ": valid");
      return ExitCode.OK;
    }
    errors.forEach(err::println);
    return ExitCode.ERROR;
  }

  private int once(Path config) throws InterruptedException {
    try (Agent agent = Agent.start(config, environment)) {
      ReconcileLoop.PassResult result = agent.loop().runOnce();
      result
          .inSync()
          .forEach(
              (service, inSync) -> {
                String why =
                    result.actions().get(service)
                            instanceof dev.driftguard.reconcile.Action.Hold hold
                        ? " (" + hold.why() + ")"
                        : "";
                out.println(service + ": " + (inSync ? "in sync" : "NOT in sync" + why));
              });
      result.errors().forEach((service, error) -> out.println(service + ": error: " + error));
      return result.allInSync() ? ExitCode.OK : ExitCode.NOT_IN_SYNC;
    }
  }

  private int run(Path config) {
    Agent agent = Agent.start(config, environment);
    Thread loopThread = Thread.currentThread();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  // SIGTERM: stop the loop where it is; the containers and the target registration
                  // stay as
                  // they are, and a deploy cut short is resumed from the state file at the next
                  // start.
                  stopping = true;
                  LoggerFactory.getLogger(Main.class)
                      .info("stopping on signal; application containers keep running");
                  loopThread.interrupt();
                  try {
                    loopThread.join(10_000);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                },
                "driftguard-shutdown"));
    try (agent) {
      agent.serveHttp();
      agent.checkEngineAside();
      agent.loop().run();
    }
    return ExitCode.OK;
  }
}
