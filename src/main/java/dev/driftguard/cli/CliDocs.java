package dev.driftguard.cli;

import dev.driftguard.operator.OperatorCommands;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * The man page and the bash completion of {@code driftguard}, rendered from {@link CommandTable}
 * (the same table {@code --help} prints). The build runs {@link #main} before packaging, so the
 * installed page always describes the installed commands; it also gzips the README and CHANGELOG
 * for the .deb.
 */
public final class CliDocs {
  private CliDocs() {}

  /**
   * Writes {@code DIR/man/driftguard.1.gz}, {@code DIR/bash-completion/driftguard} and, for each
   * further file named, {@code DIR/doc/NAME.gz} (the .deb's documents, compressed as Debian's
   * policy asks).
   *
   * @param args the output folder, the version to print in the page's header, documents to gzip
   */
  public static void main(String[] args) throws IOException {
    if (args.length < 2) {
      throw new IllegalArgumentException("usage: CliDocs OUTPUT_DIR VERSION [DOCUMENT...]");
    }
    Path dir = Path.of(args[0]);
    Files.createDirectories(dir.resolve("man"));
    Files.createDirectories(dir.resolve("bash-completion"));
    Files.createDirectories(dir.resolve("doc"));
    Files.write(
        dir.resolve("man/driftguard.1.gz"),
        gzip(manPage(args[1]).getBytes(StandardCharsets.UTF_8)));
    Files.writeString(dir.resolve("bash-completion/driftguard"), bashCompletion());
    for (int i = 2; i < args.length; i++) {
      Path document = Path.of(args[i]);
      Files.write(
          dir.resolve("doc").resolve(document.getFileName() + ".gz"),
          gzip(Files.readAllBytes(document)));
    }
  }

  /** The man page, section 1, in roff with the man macros. */
  static String manPage(String version) {
    StringBuilder roff = new StringBuilder();
    roff.append(
        ".\\\" Generated from dev.driftguard.cli.CommandTable at build time; do not edit.\n");
    roff.append(".TH DRIFTGUARD 1 \"\" \"driftguard ")
        .append(escape(version))
        .append("\" \"User Commands\"\n");
    roff.append(
        ".SH NAME\ndriftguard \\- converge Docker containers to the image digest pinned in AWS SSM\n");
    roff.append(
        ".SH SYNOPSIS\n.B driftguard\n[\\fB\\-\\-config\\fR \\fIFILE\\fR] \\fICOMMAND\\fR\n.br\n");
    roff.append(".B driftguard\n\\fB\\-\\-help\\fR | \\fB\\-\\-version\\fR\n");
    roff.append(
        """
        .SH DESCRIPTION
        driftguard is a per\\-host agent, run by systemd, that reads the image digest pinned for each
        of the host's services in AWS Systems Manager Parameter Store, compares it with what the
        local Docker engine runs and converges: it pulls by digest, takes the host out of its load
        balancer target group, replaces the container, health\\-checks it, puts the host back, and
        rolls back when the new container fails.
        The same program carries the operator commands that pin an image and follow a rollout.
        """);
    roff.append(".SH COMMANDS\n");
    for (CommandTable.Command command : CommandTable.COMMANDS) {
      roff.append(".TP\n").append(tag(command.name(), command.arguments()));
      roff.append(escape(command.summary())).append('\n');
      if (command.operator()) {
        roff.append(".RS\n.PP\n.nf\n");
        OperatorCommands.usage(command.name())
            .stripIndent()
            .strip()
            .lines()
            .forEach(line -> roff.append(escape(line)).append('\n'));
        roff.append(".fi\n.RE\n");
      }
    }
    roff.append(".SH OPTIONS\n");
    for (CommandTable.Option option : CommandTable.OPTIONS) {
      roff.append(".TP\n").append(tag(option.name(), option.argument()));
      roff.append(escape(option.summary())).append('\n');
    }
    roff.append(".SH EXIT STATUS\n");
    for (CommandTable.Exit exit : CommandTable.EXITS) {
      roff.append(".TP\n.B ")
          .append(exit.code())
          .append('\n')
          .append(escape(exit.meaning()))
          .append('\n');
    }
    roff.append(
        """
        .SH ENVIRONMENT
        .TP
        .B DRIFTGUARD_CONFIG
        the configuration file when \\fB\\-\\-config\\fR is not given
        .TP
        .B AWS_REGION\\fR, \\fBAWS_PROFILE\\fR, \\fBAWS_ACCESS_KEY_ID\\fR, ...
        the operator commands find credentials and region as the AWS CLI does
        .SH FILES
        .TP
        .I %s
        the packaged defaults; not to be edited
        .TP
        .I /etc/driftguard/conf.d/*.yaml
        the site's settings, read after the defaults in name order and merged over them
        .TP
        .I /etc/driftguard/jvm.options\\fR, \\fI/etc/driftguard/logback.xml
        JVM options and logging of the agent
        .TP
        .I /var/lib/driftguard
        the agent's state: last known good and failed digests, an interrupted deploy
        .SH SEE ALSO
        .BR systemctl (1),
        .BR journalctl (1),
        .BR docker (1);
        /usr/share/doc/driftguard/ (the README and the CHANGELOG)
        """
            .formatted(escape(CommandTable.DEFAULT_CONFIG)));
    return roff.toString();
  }

  /** A bash completion script for commands, options and their values. */
  static String bashCompletion() {
    String commands =
        CommandTable.COMMANDS.stream()
            .map(CommandTable.Command::name)
            .collect(Collectors.joining(" "));
    String globals =
        CommandTable.OPTIONS.stream()
            .map(CommandTable.Option::name)
            .collect(Collectors.joining(" "));
    StringBuilder valued = new StringBuilder();
    StringBuilder values = new StringBuilder();
    for (CommandTable.Option option : CommandTable.OPTIONS) {
      if (option.argument().isEmpty()) {
        continue;
      }
      valued.append(valued.isEmpty() ? "" : "|").append(option.name());
      String words =
          option.argument().contains("|")
              ? "COMPREPLY=($(compgen -W \""
                  + option.argument().replace('|', ' ')
                  + "\" -- \"$cur\"))"
              : "COMPREPLY=($(compgen -f -- \"$cur\"))";
      values
          .append("    ")
          .append(option.name())
          .append(") ")
          .append(words)
          .append("; return ;;\n");
    }
    StringBuilder perCommand = new StringBuilder();
    for (CommandTable.Command command : CommandTable.COMMANDS) {
      List<String> options = CommandTable.options(command);
      perCommand
          .append("    ")
          .append(command.name())
          .append(") words=\"")
          .append(String.join(" ", options))
          .append("\" ;;\n");
    }
    return """
        # bash completion for driftguard. Generated from dev.driftguard.cli.CommandTable at build
        # time (the table --help prints); do not edit.
        _driftguard() {
          local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
          case $prev in
        %s  esac
          local i command=""
          for ((i = 1; i < COMP_CWORD; i++)); do
            case ${COMP_WORDS[i]} in
              %s) ((i++)) ;;
              -*) ;;
              *) command=${COMP_WORDS[i]}; break ;;
            esac
          done
          local words
          case $command in
            "") words="%s %s" ;;
        %s    *) words="" ;;
          esac
          COMPREPLY=($(compgen -W "$words" -- "$cur"))
        }
        complete -F _driftguard driftguard
        """
        .formatted(values, valued, commands, globals, perCommand);
  }

  /** A {@code .TP} tag line: the name in bold, its arguments (if any) in italics. */
  private static String tag(String name, String arguments) {
    return "\\fB"
        + escape(name)
        + "\\fR"
        + (arguments.isEmpty() ? "" : " \\fI" + escape(arguments) + "\\fR")
        + "\n";
  }

  /** Text for roff: backslashes and minus signs escaped, no line taken for a request. */
  private static String escape(String text) {
    String escaped = text.replace("\\", "\\e").replace("-", "\\-");
    return escaped.startsWith(".") || escaped.startsWith("'") ? "\\&" + escaped : escaped;
  }

  /**
   * gzip as {@code gzip -9n} writes it (no name, no time stamp, maximum compression), which
   * Debian's policy asks of man pages; the JDK's GZIPOutputStream can set neither the level flag
   * nor the Unix OS byte.
   */
  static byte[] gzip(byte[] data) {
    Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION, true);
    deflater.setInput(data);
    deflater.finish();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 2, 3});
    byte[] buffer = new byte[8192];
    while (!deflater.finished()) {
      out.write(buffer, 0, deflater.deflate(buffer));
    }
    deflater.end();
    CRC32 crc = new CRC32();
    crc.update(data);
    writeIntLe(out, (int) crc.getValue());
    writeIntLe(out, data.length);
    return out.toByteArray();
  }

  private static void writeIntLe(ByteArrayOutputStream out, int value) {
    for (int i = 0; i < 4; i++) {
      out.write((value >>> (8 * i)) & 0xff);
    }
  }
}
