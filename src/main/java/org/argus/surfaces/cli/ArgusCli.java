package org.argus.surfaces.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code argus} command line: {@code demo}, {@code transfer}, {@code features}, {@code datasets list|fetch}, {@code models
 * list|inspect|import}, {@code select}, {@code report}, {@code train}, {@code test}. Run through the {@code ./argus} launcher, which adds the JVM options Spark
 * needs. Exit codes: 0 success, 1 failure (message on stderr), 2 bad usage.
 */
@Command(
    name = "argus",
    mixinStandardHelpOptions = true,
    version = "argus 0.1.0",
    description = "Model selection first: deep learning on Apache Spark.",
    subcommands = {
      DemoCommand.class,
      TransferCommand.class,
      FeaturesCommand.class,
      DatasetsCommand.class,
      ModelsCommand.class,
      SelectCommand.class,
      ReportCommand.class,
      TrainCommand.class,
      TestCommand.class,
      CommandLine.HelpCommand.class
    })
public final class ArgusCli implements Runnable {
  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  /**
   * Entry point; exits the JVM with the command's exit code.
   *
   * @param args command-line arguments
   */
  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /**
   * Runs the CLI without exiting (tests).
   *
   * @param args command-line arguments
   * @return the exit code: 0 success, 1 failure, 2 usage error
   */
  public static int execute(String... args) {
    CommandLine cl = new CommandLine(new ArgusCli());
    cl.setExecutionExceptionHandler(
        (ex, cmd, parsed) -> {
          boolean verbose =
              Boolean.getBoolean("argus.verbose") || parsed.hasMatchedOption("--verbose");
          String msg = String.valueOf(ex.getMessage());
          String[] lines = msg.split("\n");
          if (!verbose && lines.length > 6) {
            // Spark's job failures carry the whole physical plan; keep the reason only
            msg = String.join("\n", java.util.Arrays.copyOf(lines, 6)) + "\n… (--verbose for the rest)";
          }
          cmd.getErr().println("argus: " + msg);
          if (verbose) {
            ex.printStackTrace(cmd.getErr());
          }
          return 1;
        });
    return cl.execute(args);
  }
}
