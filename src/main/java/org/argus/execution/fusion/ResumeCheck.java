package org.argus.execution.fusion;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.argus.ArgusException;

/**
 * Refuses to resume a fused run whose space, transfer or caller's settings differ from the stored
 * run's, naming every difference — checked before anything is materialized.
 */
final class ResumeCheck {
  private ResumeCheck() {}

  /**
   * @param runDir the run directory to resume
   * @param spec this run's spec (the caller's entries and the {@code fused.*} entries)
   * @throws ArgusException when the directory holds no run, cannot be read, or its spec differs
   *     (the message lists each difference)
   */
  static void check(String runDir, Map<String, String> spec) throws ArgusException {
    Map<String, String> stored;
    try {
      stored = new org.argus.store.RunDirectory(runDir).readSpec();
    } catch (java.io.IOException e) {
      throw new ArgusException("run directory " + runDir + ": " + e.getMessage(), e);
    }
    if (stored == null) {
      throw new ArgusException("cannot resume: " + runDir + " holds no run (spec.properties missing)");
    }
    Map<String, String> mine = new LinkedHashMap<>();
    spec.forEach((k, v) -> {
      if (stored.containsKey(k) || k.startsWith("fused.")) {
        mine.put(k, v);
      }
    });
    Map<String, String> theirs = new LinkedHashMap<>();
    mine.keySet().forEach(k -> theirs.put(k, stored.get(k)));
    List<String> diff = org.argus.store.RunDirectory.differences(theirs, mine);
    if (!diff.isEmpty()) {
      throw new ArgusException("cannot resume " + runDir + " with a different spec:\n  " + String.join("\n  ", diff));
    }
  }
}
