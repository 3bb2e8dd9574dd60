package org.argus.store;

import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Hadoop configuration for the run directory's files, parsed once per JVM.
 *
 * <p>A {@code new Configuration()} parses Hadoop's default XML resources ({@code core-default.xml},
 * {@code core-site.xml}) the first time it is read, which {@code Path.getFileSystem} does. Measured
 * in MOP's unit queries, 2 cores: a checkpoint write took 50–80 ms and a read 10–40 ms for a 150 KB
 * head, most of it that parse. Here the parse happens once per JVM: {@link #fileSystem} reads one
 * shared, never-modified configuration (a documented per-JVM cache; Hadoop's {@code FileSystem}
 * cache then returns the same file system), and {@link #copy} hands out a private copy of it, without
 * re-parsing, to code that sets properties (Parquet's writer stores its schema there).
 */
public final class HadoopConf {
  /** Per-JVM; read only (Configuration's reads are synchronized), never modified after loading. */
  private static final Configuration SHARED = loaded();

  private HadoopConf() {}

  private static Configuration loaded() {
    Configuration c = new Configuration();
    c.size(); // forces the parse of the default resources here, once
    return c;
  }

  /**
   * @param path a path or URI ({@code /tmp/run}, {@code file:///…}, {@code hdfs://…})
   * @return its file system (Hadoop's cached instance for the scheme, authority and user)
   * @throws IOException when the scheme has no file system
   */
  public static FileSystem fileSystem(Path path) throws IOException {
    return path.getFileSystem(SHARED);
  }

  /** @return a private, modifiable copy of the loaded configuration (no XML parse) */
  public static Configuration copy() {
    return new Configuration(SHARED);
  }
}
