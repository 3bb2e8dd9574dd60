package org.argus.surfaces.cli;

import java.util.concurrent.Callable;
import org.argus.data.Datasets;
import org.argus.provision.ProvisioningException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code argus datasets list|fetch}: the data sets Argus can provision, cached under ARGUS_HOME. */
@Command(
    name = "datasets",
    mixinStandardHelpOptions = true,
    description = "List or provision the data sets Argus knows (cached under $ARGUS_HOME).",
    subcommands = {DatasetsCommand.ListCmd.class, DatasetsCommand.FetchCmd.class})
final class DatasetsCommand implements Runnable {
  @Override
  public void run() {
    new picocli.CommandLine(this).usage(System.out);
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List data sets and whether they are provisioned.")
  static final class ListCmd implements Callable<Integer> {
    @Override
    public Integer call() {
      System.out.printf("%-16s %-12s %-6s %s%n", "name", "provisioned", "files", "location / description");
      for (Datasets.DatasetInfo d : Datasets.list()) {
        System.out.printf("%-16s %-12s %-6d %s%n%-36s %s%n", d.name(), d.provisioned() ? "yes" : "no",
            d.files(), d.location(), "", d.description());
      }
      return 0;
    }
  }

  @Command(name = "fetch", mixinStandardHelpOptions = true, description = "Provision a data set (idempotent; checks sha256).")
  static final class FetchCmd implements Callable<Integer> {
    @Parameters(paramLabel = "NAME", description = "data set name (see `argus datasets list`)")
    String name;

    @Override
    public Integer call() throws ProvisioningException {
      Datasets.DatasetInfo d = Datasets.fetch(name);
      System.out.printf("%s: provisioned at %s (%d files)%n", d.name(), d.location(), d.files());
      return 0;
    }
  }
}
