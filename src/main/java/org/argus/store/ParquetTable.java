package org.argus.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Types;

/**
 * An append-only table: a directory of Parquet part files, one per {@link #append} call (so a crash
 * loses at most the batch being written; parts are written under a hidden name and renamed).
 * Readable by Spark ({@code spark.read().parquet(dir)}). Column types: {@code long}, {@code double},
 * {@code string} (nullable).
 */
public final class ParquetTable {
  /**
   * The last part-name timestamp this JVM used (ms): names take {@code max(now, last + 1)}, so parts
   * appended within one millisecond still sort in append order ({@link #readAll} reads parts sorted
   * by name). A documented per-JVM counter; across JVMs (a resumed run) the clock orders parts.
   */
  private static final java.util.concurrent.atomic.AtomicLong LAST_PART_MS = new java.util.concurrent.atomic.AtomicLong();
  private final Path dir;
  private final MessageType schema;
  private final List<String> names = new ArrayList<>();
  private final List<String> types = new ArrayList<>();

  /**
   * @param dir table directory (URI or path)
   * @param columns name → {@code long|double|string}, in order
   */
  public ParquetTable(String dir, Map<String, String> columns) {
    this.dir = new Path(dir);
    Types.MessageTypeBuilder b = Types.buildMessage();
    columns.forEach(
        (n, t) -> {
          names.add(n);
          types.add(t);
          switch (t) {
            case "long" -> b.optional(PrimitiveTypeName.INT64).named(n);
            case "double" -> b.optional(PrimitiveTypeName.DOUBLE).named(n);
            case "string" ->
                b.optional(PrimitiveTypeName.BINARY)
                    .as(org.apache.parquet.schema.LogicalTypeAnnotation.stringType())
                    .named(n);
            default -> throw new IllegalArgumentException("column type " + t + "; valid: long, double, string");
          }
        });
    this.schema = b.named("row");
  }

  /**
   * @param rows rows as name → value maps (missing/null values stay null)
   * @throws IOException on a write failure, naming the part file and the cause (e.g. {@code No
   *     space left on device}); the partial part is deleted, so the table is unchanged
   */
  public void append(List<Map<String, Object>> rows) throws IOException {
    if (rows.isEmpty()) {
      return;
    }
    Configuration conf = HadoopConf.copy();
    FileSystem fs = dir.getFileSystem(conf);
    long ms = LAST_PART_MS.updateAndGet(last -> Math.max(System.currentTimeMillis(), last + 1));
    String name = String.format("part-%013d-%s.parquet", ms, UUID.randomUUID());
    if (fs instanceof LocalFileSystem || fs instanceof RawLocalFileSystem) {
      appendLocal(conf, name, rows);
      return;
    }
    fs.mkdirs(dir);
    Path tmp = new Path(dir, "_tmp." + name);
    try {
      writePart(conf, org.apache.parquet.hadoop.util.HadoopOutputFile.fromPath(tmp, conf), rows);
    } catch (org.apache.hadoop.fs.FSError e) {
      AtomicFiles.deleteQuietly(fs, tmp);
      throw AtomicFiles.failure(new Path(dir, name), e);
    } catch (IOException | RuntimeException e) {
      AtomicFiles.deleteQuietly(fs, tmp);
      throw e;
    }
    if (!fs.rename(tmp, new Path(dir, name))) {
      throw new IOException("cannot rename " + tmp + " into " + dir);
    }
  }

  /**
   * {@link #append} on the local file system, through {@code java.nio} and Parquet's {@link
   * LocalOutputFile}: Hadoop's {@code LocalFileSystem} forks {@code chmod} for each file it creates
   * (the part and its {@code .crc}) when Hadoop's native library is absent, which made an append
   * take 35–45 ms on the 2-core development machine — a unit query's row in the {@code units} table
   * cost more than the unit's checkpoint. No {@code .crc} file is written.
   */
  private void appendLocal(Configuration conf, String name, List<Map<String, Object>> rows) throws IOException {
    java.nio.file.Path d = Paths.get(dir.toUri().getPath());
    java.nio.file.Path tmp = d.resolve("_tmp." + name);
    try {
      Files.createDirectories(d);
      writePart(conf, new LocalOutputFile(tmp), rows);
      Files.move(tmp, d.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      Files.deleteIfExists(tmp);
      throw new IOException("cannot write " + new Path(dir, name) + ": " + AtomicFiles.message(e), e);
    } catch (RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
  }

  /** Writes {@code rows} as one Parquet file. */
  private void writePart(Configuration conf, OutputFile out, List<Map<String, Object>> rows) throws IOException {
    SimpleGroupFactory f = new SimpleGroupFactory(schema);
    try (ParquetWriter<Group> w =
        ExampleParquetWriter.builder(out)
            .withConf(conf)
            .withType(schema)
            .build()) {
      for (Map<String, Object> r : rows) {
        Group g = f.newGroup();
        for (int i = 0; i < names.size(); i++) {
          Object v = r.get(names.get(i));
          if (v == null) {
            continue;
          }
          switch (types.get(i)) {
            case "long" -> g.append(names.get(i), ((Number) v).longValue());
            case "double" -> g.append(names.get(i), ((Number) v).doubleValue());
            default -> g.append(names.get(i), String.valueOf(v));
          }
        }
        w.write(g);
      }
    }
  }

  /**
   * @return every row of every part, parts in name (time) order; a column absent from a part (written
   *     before the column existed) reads as null
   * @throws IOException on a read failure
   */
  public List<Map<String, Object>> readAll() throws IOException {
    Configuration conf = HadoopConf.copy();
    FileSystem fs = dir.getFileSystem(conf);
    List<Map<String, Object>> out = new ArrayList<>();
    if (!fs.exists(dir)) {
      return out;
    }
    List<Path> parts = new ArrayList<>();
    for (FileStatus st : fs.listStatus(dir)) {
      if (st.getPath().getName().startsWith("part-")) {
        parts.add(st.getPath());
      }
    }
    parts.sort(null);
    for (Path p : parts) {
      try (ParquetReader<Group> r = ParquetReader.builder(new GroupReadSupport(), p).withConf(conf).build()) {
        for (Group g = r.read(); g != null; g = r.read()) {
          Map<String, Object> m = new LinkedHashMap<>();
          for (int i = 0; i < names.size(); i++) {
            String n = names.get(i);
            if (!g.getType().containsField(n) || g.getFieldRepetitionCount(n) == 0) { // older part / null
              m.put(n, null);
              continue;
            }
            m.put(
                n,
                switch (types.get(i)) {
                  case "long" -> g.getLong(n, 0);
                  case "double" -> g.getDouble(n, 0);
                  default -> g.getString(n, 0);
                });
          }
          out.add(m);
        }
      }
    }
    return out;
  }
}
