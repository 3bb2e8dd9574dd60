package org.argus.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An append-only table reads back in append order, however close together the appends are. */
class ParquetTableTest {
  @Test
  void appendsWithinOneMillisecondReadBackInAppendOrder(@TempDir Path dir) throws Exception {
    Map<String, String> cols = new LinkedHashMap<>();
    cols.put("i", "long");
    ParquetTable t = new ParquetTable(dir.resolve("t").toString(), cols);
    List<Long> written = new ArrayList<>();
    for (long i = 0; i < 200; i++) {
      t.append(List.of(Map.of("i", i)));
      written.add(i);
    }
    List<Long> read = t.readAll().stream().map(r -> (Long) r.get("i")).toList();
    assertEquals(written, read);
  }
}
