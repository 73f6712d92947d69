package dev.driftguard.operator;

import dev.driftguard.config.ConfigException;
import dev.driftguard.config.Durations;
import dev.driftguard.model.InvalidValueException;
import dev.driftguard.model.ServiceSpec;
import dev.driftguard.model.Sleeper;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import software.amazon.awssdk.regions.Region;

/**
 * Entry point of the operator commands, called by {@code cli.Main} with the words after the command
 * name: parses them, reads the configuration, builds the AWS clients the command needs and runs it.
 * Every refusal or failure is printed as one {@code driftguard COMMAND: ...} line on stderr;
 * nothing here prints credentials or SecureString values.
 */
public final class OperatorCommands {
  /** The commands this class runs. */
  public static final Set<String> NAMES = Set.of("status", "pin", "rollout-status");

  private static final Map<String, String> COMMAND_USAGE =
      Map.of(
          "status",
          """
          usage: driftguard status [--json] [--config FILE]
            Shows what the agent on this host is doing, from its /status endpoint
            (agent.status.listen, default 127.0.0.1:9274).
            --json   print the agent's JSON document as it is
          """,
          "pin",
"""
usage: driftguard pin SERVICE IMAGE[:tag|@sha256:<hex>] [options]
  Writes SERVICE's desired image to its SSM parameter. A tag is resolved to its digest
  in ECR, a digest is checked to exist; what the agents would reject is refused.
  --config FILE            the hosts' configuration (parameter, allowedRegistries, region)
  --parameter NAME         the SSM parameter (default: from the configuration)
  --allowed-registry HOST  a registry the hosts accept; repeat for several
                           (default: the configuration's desired.allowedRegistries)
  --region REGION          the AWS region of the parameter
  --no-verify              pin a digest without checking it exists (needed outside ECR)
  --dry-run                check and print, write nothing
""",
          "rollout-status",
          """
          usage: driftguard rollout-status SERVICE [--wait] [options]
            Shows every running host's state for SERVICE (from its driftguard:SERVICE:* tags)
            against the desired digest in SSM.
            --wait             follow until every host runs the desired digest and is idle
            --timeout 15m      give up waiting after this long
            --interval 10s     how often to read while waiting (at least 5s)
            --parameter NAME   the SSM parameter (default: from the configuration, else
                               /driftguard/SERVICE/image)
            --region REGION    the AWS region of the parameter and instances
            --config FILE      the hosts' configuration
          exit codes: 0 converged, 2 not converged yet (without --wait), 3 a host rolled the
            desired digest back, 4 --wait timed out, 1 error
          """);

  /** The options a command accepts: flags, and options that take a value. */
  private record Options(Set<String> flags, Set<String> valued) {}

  private static final Map<String, Options> OPTIONS =
      Map.of(
          "status",
          new Options(Set.of("--json", "--help"), Set.of("--config")),
          "pin",
          new Options(
              Set.of("--no-verify", "--dry-run", "--help"),
              Set.of("--config", "--parameter", "--allowed-registry", "--region")),
          "rollout-status",
          new Options(
              Set.of("--wait", "--help"),
              Set.of("--config", "--parameter", "--region", "--timeout", "--interval")));

  /**
   * The words after {@code command} (one of {@link #NAMES}), parsed with that command's options and
   * nothing else done.
   *
   * @throws UsageException for an unknown option or a missing value
   */
  static Args parse(String command, List<String> words) {
    Options options = OPTIONS.get(command);
    if (options == null) {
      throw new IllegalArgumentException("not an operator command: " + command);
    }
    return Args.parse(words, options.flags(), options.valued());
  }

  /** The usage text of {@code command} (one of {@link #NAMES}), as its {@code --help} prints it. */
  public static String usage(String command) {
    String usage = COMMAND_USAGE.get(command);
    if (usage == null) {
      throw new IllegalArgumentException("not an operator command: " + command);
    }
    return usage;
  }

  private final AwsAccess aws;
  private final Map<String, String> environment;
  private final PrintStream out;
  private final PrintStream err;
  private final Clock clock;
  private final Sleeper sleeper;

  /**
   * The commands as {@code driftguard} runs them: system clock, real sleeping.
   *
   * @param aws builds the SDK clients (the composition root's {@code AwsClients})
   * @param environment the process environment: AWS credentials and region variables
   */
  public OperatorCommands(
      AwsAccess aws, Map<String, String> environment, PrintStream out, PrintStream err) {
    this(aws, environment, out, err, Clock.systemUTC(), Sleeper.system());
  }

  OperatorCommands(
      AwsAccess aws,
      Map<String, String> environment,
      PrintStream out,
      PrintStream err,
      Clock clock,
      Sleeper sleeper) {
    this.aws = aws;
    this.environment = Map.copyOf(environment);
    this.out = out;
    this.err = err;
    this.clock = clock;
    this.sleeper = sleeper;
  }

  /**
   * Runs {@code command} (one of {@link #NAMES}) with {@code args}, the words after it.
   *
   * @param config the configuration file named before the command (or the default); a {@code
   *     --config} after the command wins
   * @return how it ended; {@code cli.Main} turns that into the exit code
   */
  public Result run(String command, List<String> args, Path config) throws InterruptedException {
    try {
      return switch (command) {
        case "status" -> status(args, config);
        case "pin" -> pin(args, config);
        case "rollout-status" -> rolloutStatus(args, config);
        default -> throw new IllegalArgumentException("not an operator command: " + command);
      };
    } catch (UsageException e) {
      err.print(
          "driftguard " + command + ": " + e.getMessage() + "\n" + COMMAND_USAGE.get(command));
      return Result.USAGE;
    } catch (ConfigException e) {
      err.println("driftguard " + command + ": invalid configuration:");
      e.errors().forEach(line -> err.println("  " + line));
      return Result.ERROR;
    } catch (InvalidValueException | OperatorException e) {
      err.println("driftguard " + command + ": " + e.getMessage());
      return Result.ERROR;
    }
  }

  private Result status(List<String> words, Path config) throws InterruptedException {
    Args args = parse("status", words);
    if (help(args, "status")) {
      return Result.OK;
    }
    if (!args.positionals().isEmpty()) {
      throw new UsageException("unexpected argument " + args.positionals().get(0));
    }
    HostConfig host = HostConfig.read(configFile(args, config), environment, null);
    return new StatusCommand(StatusCommand.newHttpClient(), clock, out)
        .run(StatusCommand.statusUri(host.agent().statusListen()), args.flag("--json"));
  }

  private Result pin(List<String> words, Path config) {
    Args args = parse("pin", words);
    if (help(args, "pin")) {
      return Result.OK;
    }
    if (args.positionals().size() != 2) {
      throw new UsageException(
          "expected SERVICE and IMAGE, got " + args.positionals().size() + " argument(s)");
    }
    String service = service(args.positionals().get(0));
    HostConfig host = HostConfig.read(configFile(args, config), environment, service);
    ServiceTarget target =
        ServiceTarget.forPin(
            service,
            host,
            args.value("--parameter").orElse(null),
            args.values("--allowed-registry"));
    try (OperatorAws aws =
        new OperatorAws(this.aws, host.agent(), environment, args.value("--region").orElse(null))) {
      AwsAccess.Clients home = aws.clients();
      PinCommand command =
          new PinCommand(
              new SsmParameterStore(home.ssm()),
              new EcrImageCatalog(registry -> aws.clients(Region.of(registry.region())).ecr()),
              out,
              err);
      return command.run(
          target, args.positionals().get(1), args.flag("--no-verify"), args.flag("--dry-run"));
    }
  }

  private Result rolloutStatus(List<String> words, Path config) throws InterruptedException {
    Args args = parse("rollout-status", words);
    if (help(args, "rollout-status")) {
      return Result.OK;
    }
    if (args.positionals().size() != 1) {
      throw new UsageException(
          "expected SERVICE, got " + args.positionals().size() + " argument(s)");
    }
    String service = service(args.positionals().get(0));
    Duration timeout = duration(args, "--timeout", RolloutStatusCommand.DEFAULT_TIMEOUT);
    Duration interval = duration(args, "--interval", RolloutStatusCommand.DEFAULT_INTERVAL);
    HostConfig host = HostConfig.read(configFile(args, config), environment, service);
    ServiceTarget target =
        ServiceTarget.forStatus(service, host, args.value("--parameter").orElse(null));
    try (OperatorAws aws =
        new OperatorAws(this.aws, host.agent(), environment, args.value("--region").orElse(null))) {
      AwsAccess.Clients clients = aws.clients();
      return new RolloutStatusCommand(
              new SsmParameterStore(clients.ssm()),
              new Ec2FleetState(clients.ec2()),
              clock,
              sleeper,
              out,
              err)
          .run(target, args.flag("--wait"), timeout, interval);
    }
  }

  private boolean help(Args args, String command) {
    if (args.flag("--help")) {
      out.print(COMMAND_USAGE.get(command));
      return true;
    }
    return false;
  }

  private static Path configFile(Args args, Path config) {
    return args.value("--config").map(Path::of).orElse(config);
  }

  /** Service names become tag keys and parameter names, so they are checked like the agent's. */
  private static String service(String name) {
    if (!ServiceSpec.isValidName(name)) {
      throw new UsageException(
          "'" + name + "' is not a service name (" + ServiceSpec.NAME_RULE + ")");
    }
    return name;
  }

  private static Duration duration(Args args, String option, Duration fallback) {
    Optional<String> value = args.value(option);
    if (value.isEmpty()) {
      return fallback;
    }
    try {
      return Durations.parse(value.get());
    } catch (InvalidValueException e) {
      throw new UsageException(option + ": " + e.getMessage());
    }
  }
}
