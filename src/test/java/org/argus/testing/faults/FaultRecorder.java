package org.argus.testing.faults;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Records one row of the fault catalogue ({@code bench/results/faults.md}, issue "Conformance and
 * reliability" item 5) from the test that provoked the fault and asserted Argus's behaviour.
 *
 * <p>Tests call {@link #record} <em>after</em> their assertions passed, with values taken from the
 * run (the message Argus printed, the counts it reported), so a row exists only for behaviour that
 * was checked. With the system property {@value #PROPERTY} unset (the normal test run) nothing is
 * written; {@code bench/faults} sets it, runs every test tagged {@value #TAG} and renders the rows
 * with {@link FaultTable}. Rows are tab-separated lines in {@code DIR/rows.tsv}: group, fault
 * class, what Argus did, lost or changed, and the recording test ({@code Class.method}, found on
 * the call stack).
 */
public final class FaultRecorder {
  /** System property naming the directory rows are appended to. */
  public static final String PROPERTY = "argus.faults.dir";
  /** JUnit tag of the tests that provoke a catalogued fault ({@code mvn test -Dgroups=faults}). */
  public static final String TAG = "faults";

  /** The catalogue's groups, in the order the table lists them. */
  public enum Group {
    /** Image files. */
    IMAGES("Bad images"),
    /** Model files and model provisioning. */
    MODELS("Bad models"),
    /** Structured tables and labels. */
    TABLES("Bad tables"),
    /** Memory and disk. */
    RESOURCES("Resources"),
    /** Killed processes and corrupted state. */
    PROCESSES("Processes");

    private final String title;

    Group(String title) {
      this.title = title;
    }

    /** @return the section title */
    public String title() {
      return title;
    }
  }

  private FaultRecorder() {}

  /**
   * Appends a row when {@value #PROPERTY} is set; does nothing otherwise.
   *
   * @param group the catalogue section
   * @param faultClass the fault, e.g. {@code truncated PNG (50 %)}
   * @param whatArgusDid the behaviour observed, e.g. {@code quarantined: truncated or corrupt PNG: …}
   * @param lostOrChanged {@code no: …} with the evidence (counts, equality checked), or {@code yes: …}
   * @throws UncheckedIOException when the row cannot be written
   */
  public static synchronized void record(Group group, String faultClass, String whatArgusDid, String lostOrChanged) {
    String dir = System.getProperty(PROPERTY);
    if (dir == null || dir.isBlank()) {
      return;
    }
    String test = StackWalker.getInstance().walk(s -> s
        .filter(f -> !f.getClassName().equals(FaultRecorder.class.getName()))
        .findFirst()
        .map(f -> f.getClassName().substring(f.getClassName().lastIndexOf('.') + 1) + "." + f.getMethodName())
        .orElse("?"));
    String line = String.join("\t", group.name(), clean(faultClass), clean(whatArgusDid), clean(lostOrChanged), test)
        + "\n";
    try {
      Path d = Path.of(dir);
      Files.createDirectories(d);
      Files.writeString(d.resolve("rows.tsv"), line, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append a fault row to " + dir + "/rows.tsv", e);
    }
  }

  /** One line, no tabs, no table pipes, at most 400 characters. */
  private static String clean(String s) {
    String one = s.replaceAll("\\s+", " ").replace("|", "/").trim();
    return one.length() <= 400 ? one : one.substring(0, 397) + "...";
  }
}
