package org.argus.surfaces.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Test fixture: runs the {@code argus} CLI in-process, capturing stdout and stderr. */
final class CliRun {
  private CliRun() {}

  /**
   * @param expectedExit the exit code the command must return (asserted)
   * @param args the command line
   * @return {@code [stdout, stderr]}
   */
  static String[] run(int expectedExit, String... args) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
      int code = ArgusCli.execute(args);
      String so = o.toString(StandardCharsets.UTF_8);
      String se = e.toString(StandardCharsets.UTF_8);
      assertEquals(expectedExit, code, "exit code of " + String.join(" ", args) + "\n" + so + se);
      return new String[] {so, se};
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }
}
