package dev.driftguard.bench;

import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ScopeType;

/**
 * The {@code driftguard} command line declared with picocli, as the agent would declare it if it
 * used the library: the same commands, options, arguments and one-line descriptions as {@code
 * cli.CommandTable} and the operator commands' usage texts. Used only by {@link CliParse} to weigh
 * picocli's start-up cost against the hand-written parser (docs/design/cli.md).
 */
final class PicocliCli {
  private static final String DEFAULT_CONFIG = "/etc/driftguard/driftguard.yaml";

  private PicocliCli() {}

  /**
   * Parses {@code args} with picocli, the way {@code cli.ParseProbe} parses them with driftguard's
   * own parser.
   *
   * @return what was parsed, e.g. {@code pin [web, repo@sha256:...]}
   */
  static String parse(String[] args) {
    CommandLine.ParseResult result = new CommandLine(new Driftguard()).parseArgs(args);
    if (!result.hasSubcommand()) {
      return "exit 64";
    }
    CommandLine.ParseResult sub = result.subcommand();
    Object command = sub.commandSpec().userObject();
    String name = sub.commandSpec().name();
    if (command instanceof Pin pin) {
      return name + " " + List.of(pin.target.service, pin.image);
    }
    if (command instanceof RolloutStatus status) {
      return name + " " + List.of(status.target.service);
    }
    // --config is inherited: given after the command, picocli matches it on the subcommand.
    CommandLine.ParseResult where = sub.hasMatchedOption("--config") ? sub : result;
    return name + " " + where.matchedOptionValue("--config", Path.of(DEFAULT_CONFIG));
  }

  @Command(
      name = "driftguard",
      mixinStandardHelpOptions = true,
      version = "driftguard dev",
      description = "converge Docker containers to the image digest pinned in AWS SSM",
      subcommands = {
        Run.class,
        Once.class,
        Validate.class,
        Version.class,
        Status.class,
        Pin.class,
        RolloutStatus.class
      })
  static final class Driftguard {
    @Option(
        names = "--config",
        paramLabel = "FILE",
        scope = ScopeType.INHERIT,
        description =
            "configuration file (default: $DRIFTGUARD_CONFIG or /etc/driftguard/driftguard.yaml),"
                + " read with the conf.d/*.yaml drop-ins beside it")
    Path config;

    @Option(
        names = "--log-format",
        paramLabel = "text|json",
        scope = ScopeType.INHERIT,
        description = "log lines as text or one JSON object each (default: agent.log.format)")
    LogFormat logFormat;
  }

  enum LogFormat {
    text,
    json
  }

  @Command(
      name = "run",
      mixinStandardHelpOptions = true,
      description =
          "reconcile every poll interval until stopped (SIGTERM leaves containers running)")
  static final class Run {}

  @Command(
      name = "once",
      mixinStandardHelpOptions = true,
      description = "one reconcile pass; exit 0 when every service is in sync, 2 when not")
  static final class Once {}

  @Command(
      name = "validate",
      mixinStandardHelpOptions = true,
      description = "check the configuration, print every error with its path; exit 0 or 1")
  static final class Validate {}

  @Command(
      name = "version",
      mixinStandardHelpOptions = true,
      description = "print the version (the same as --version)")
  static final class Version {}

  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description = "this host's services as a table (--json: the agent's /status document)")
  static final class Status {
    @Option(names = "--json", description = "print the agent's JSON document as it is")
    boolean json;
  }

  @Command(
      name = "pin",
      mixinStandardHelpOptions = true,
      description = "resolve a tag in ECR, check the image, write the desired digest to SSM")
  static final class Pin {
    @Parameters(
        index = "1",
        paramLabel = "IMAGE[:tag|@sha256:<hex>]",
        description = "the image to pin")
    String image;

    @Mixin ServiceTarget target;

    @Option(
        names = "--allowed-registry",
        paramLabel = "HOST",
        description =
            "a registry the hosts accept; repeat for several (default: the configuration's"
                + " desired.allowedRegistries)")
    List<String> allowedRegistries;

    @Option(
        names = "--no-verify",
        description = "pin a digest without checking it exists (needed outside ECR)")
    boolean noVerify;

    @Option(names = "--dry-run", description = "check and print, write nothing")
    boolean dryRun;
  }

  @Command(
      name = "rollout-status",
      mixinStandardHelpOptions = true,
      description = "the fleet's progress from the hosts' EC2 tags")
  static final class RolloutStatus {
    @Option(
        names = "--wait",
        description = "follow until every host runs the desired digest and is idle")
    boolean waitForIt;

    @Option(
        names = "--timeout",
        paramLabel = "DURATION",
        defaultValue = "15m",
        description = "give up waiting after this long")
    String timeout;

    @Option(
        names = "--interval",
        paramLabel = "DURATION",
        defaultValue = "10s",
        description = "how often to read while waiting (at least 5s)")
    String interval;

    @Mixin ServiceTarget target;
  }

  /**
   * What {@code pin} and {@code rollout-status} share: the service, and where its desired state is.
   */
  static final class ServiceTarget {
    @Parameters(index = "0", paramLabel = "SERVICE", description = "the service")
    String service;

    @Option(
        names = "--parameter",
        paramLabel = "NAME",
        description = "the SSM parameter (default: from the configuration)")
    String parameter;

    @Option(
        names = "--region",
        paramLabel = "REGION",
        description = "the AWS region of the parameter (and of the instances)")
    String region;
  }
}
