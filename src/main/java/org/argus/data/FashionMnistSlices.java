package org.argus.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.util.TaskCompletionListener;

/**
 * Executor side of the Fashion-MNIST reader: turns a partition of ids into rows of {@link
 * FashionMnist#schema()} by opening both IDX files of one split through the Hadoop FileSystem API
 * and reading the requested records with positioned reads — a chunk of up to 512 consecutive ids in
 * one read per file, scattered ids one read each. Built on the driver by {@link
 * FashionMnistSource#open}, which has validated both headers.
 */
final class FashionMnistSlices implements MapPartitionsFunction<Long, Row> {
  private static final long serialVersionUID = 1L;
  private static final int CHUNK = 512;
  private static final int PIXELS = FashionMnist.SIDE * FashionMnist.SIDE;

  private final String imagesUri;
  private final String labelsUri;
  private final HashMap<String, String> conf;
  private final String split;
  private final long firstId;
  private final int count;
  private final long imagesHeaderBytes;
  private final long labelsHeaderBytes;

  /**
   * @param imagesUri qualified URI of the images file
   * @param labelsUri qualified URI of the labels file
   * @param conf the driver's Hadoop configuration, copied (a {@link Configuration} is not
   *     serializable)
   * @param split {@code "train"} or {@code "test"}, for {@code origin} and messages
   * @param firstId the id of the split's first image
   * @param count number of records in both files
   * @param imagesHeaderBytes bytes before the first image (16)
   * @param labelsHeaderBytes bytes before the first label (8)
   */
  FashionMnistSlices(
      String imagesUri,
      String labelsUri,
      HashMap<String, String> conf,
      String split,
      long firstId,
      int count,
      long imagesHeaderBytes,
      long labelsHeaderBytes) {
    this.imagesUri = imagesUri;
    this.labelsUri = labelsUri;
    this.conf = conf;
    this.split = split;
    this.firstId = firstId;
    this.count = count;
    this.imagesHeaderBytes = imagesHeaderBytes;
    this.labelsHeaderBytes = labelsHeaderBytes;
  }

  /** @return number of records in the split's files */
  int count() {
    return count;
  }

  /**
   * @param ids ids of this split, {@code firstId .. firstId + count - 1}, in the order rows are
   *     wanted
   * @return one row per id, in the same order; both files are closed when the iterator is
   *     exhausted or the task completes
   * @throws IOException when a file cannot be opened
   */
  @Override
  public Iterator<Row> call(Iterator<Long> ids) throws IOException {
    if (!ids.hasNext()) {
      return Collections.emptyIterator();
    }
    Configuration hadoop = new Configuration(false);
    conf.forEach(hadoop::set);
    Path images = new Path(imagesUri);
    FileSystem fs = images.getFileSystem(hadoop);
    FSDataInputStream img = fs.open(images);
    FSDataInputStream lab = fs.open(new Path(labelsUri));
    TaskContext tc = TaskContext.get();
    if (tc != null) {
      tc.addTaskCompletionListener((TaskCompletionListener) context -> closeQuietly(img, lab));
    }
    return new Rows(ids, img, lab);
  }

  /** Reads the records of {@code ids} chunk by chunk and builds their rows. */
  private final class Rows implements Iterator<Row> {
    private final Iterator<Long> ids;
    private final FSDataInputStream img;
    private final FSDataInputStream lab;
    private final long[] chunk = new long[CHUNK];
    private final byte[] pixels = new byte[CHUNK * PIXELS];
    private final byte[] labels = new byte[CHUNK];
    private int size;
    private int pos;

    Rows(Iterator<Long> ids, FSDataInputStream img, FSDataInputStream lab) {
      this.ids = ids;
      this.img = img;
      this.lab = lab;
    }

    @Override
    public boolean hasNext() {
      if (pos < size) {
        return true;
      }
      if (!ids.hasNext()) {
        closeQuietly(img, lab);
        return false;
      }
      try {
        fill();
      } catch (IOException e) {
        throw new UncheckedIOException("reading " + imagesUri, e);
      }
      return pos < size;
    }

    /** Takes the next up to {@link #CHUNK} ids and reads their images and labels. */
    private void fill() throws IOException {
      size = 0;
      pos = 0;
      while (size < CHUNK && ids.hasNext()) {
        long id = ids.next();
        long index = id - firstId;
        if (index < 0 || index >= count) {
          throw new IllegalArgumentException(
              "id " + id + " outside split " + split + " (valid " + firstId + ".."
                  + (firstId + count - 1) + ")");
        }
        chunk[size++] = index;
      }
      boolean contiguous = true;
      for (int i = 1; i < size && contiguous; i++) {
        contiguous = chunk[i] == chunk[i - 1] + 1;
      }
      if (contiguous) {
        img.readFully(imagesHeaderBytes + chunk[0] * PIXELS, pixels, 0, size * PIXELS);
        lab.readFully(labelsHeaderBytes + chunk[0], labels, 0, size);
      } else {
        for (int i = 0; i < size; i++) {
          img.readFully(imagesHeaderBytes + chunk[i] * PIXELS, pixels, i * PIXELS, PIXELS);
          lab.readFully(labelsHeaderBytes + chunk[i], labels, i, 1);
        }
      }
    }

    @Override
    public Row next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      int i = pos++;
      byte[] data = Arrays.copyOfRange(pixels, i * PIXELS, (i + 1) * PIXELS);
      long index = chunk[i];
      Row image =
          RowFactory.create(
              FashionMnist.NAME + "/" + split + "/" + index,
              FashionMnist.SIDE,
              FashionMnist.SIDE,
              1,
              0,
              data);
      return RowFactory.create(firstId + index, labels[i] & 0xff, image);
    }
  }

  private static void closeQuietly(FSDataInputStream a, FSDataInputStream b) {
    try {
      a.close();
    } catch (IOException ignored) {
      // read-only stream; nothing to flush
    }
    try {
      b.close();
    } catch (IOException ignored) {
      // read-only stream; nothing to flush
    }
  }
}
