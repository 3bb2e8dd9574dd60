package org.argus.execution.mop;

import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;

/** Converts Spark rows to training {@link Example}s. */
public final class Examples {
  private Examples() {}

  /**
   * Images in Spark's image struct (e.g. {@code FashionMnist.read}) → {@code [C, H, W]} float32 in
   * [0, 1] (pixel / 255; channel order as stored, BGR for colour). All images must share one size.
   *
   * @param rows dataset with an int {@code label} column and an image struct column
   * @param imageCol the image column
   * @param labelCol the label column
   * @return the examples
   */
  public static JavaRDD<Example> fromImages(Dataset<Row> rows, String imageCol, String labelCol) {
    return rows.select(labelCol, imageCol).javaRDD().map(r -> {
      Row img = r.getStruct(1);
      int h = img.getInt(img.fieldIndex("height"));
      int w = img.getInt(img.fieldIndex("width"));
      int c = img.getInt(img.fieldIndex("nChannels"));
      byte[] d = (byte[]) img.get(img.fieldIndex("data"));
      float[] x = new float[c * h * w];
      for (int y = 0; y < h; y++) {
        for (int xx = 0; xx < w; xx++) {
          for (int ch = 0; ch < c; ch++) {
            x[ch * h * w + y * w + xx] = (d[(y * w + xx) * c + ch] & 0xff) / 255f;
          }
        }
      }
      return new Example(((Number) r.get(0)).intValue(), x);
    });
  }

  /**
   * Feature columns → {@code [F]} float32: an ML {@code Vector} or numeric array column.
   *
   * @param rows dataset
   * @param featuresCol features column (vector or array of float/double)
   * @param labelCol integer-valued label column
   * @return the examples
   * @throws IllegalArgumentException if the features column has another type
   */
  public static JavaRDD<Example> fromFeatures(Dataset<Row> rows, String featuresCol, String labelCol) {
    DataType t = rows.schema().apply(featuresCol).dataType();
    boolean array = t instanceof ArrayType;
    if (!array && !t.typeName().equals("vector")) {
      throw new IllegalArgumentException(
          "features column " + featuresCol + " has type " + t.simpleString() + "; expected vector or array<float|double>");
    }
    return rows.select(labelCol, featuresCol).javaRDD().map(r -> {
      float[] x;
      if (array) {
        List<Object> l = r.getList(1);
        x = new float[l.size()];
        for (int i = 0; i < x.length; i++) {
          x[i] = ((Number) l.get(i)).floatValue();
        }
      } else {
        double[] v = ((Vector) r.get(1)).toArray();
        x = new float[v.length];
        for (int i = 0; i < v.length; i++) {
          x[i] = (float) v[i];
        }
      }
      return new Example(((Number) r.get(0)).intValue(), x);
    });
  }
}
