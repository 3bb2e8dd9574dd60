package org.argus.surfaces.ml;

import static org.apache.spark.sql.functions.col;

import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;

/**
 * The image column types the stages and SQL functions read — Spark's image struct or encoded bytes —
 * how a stage finds its image column, and what names an image row.
 */
final class ImageColumns {
  /** Spark's image schema struct (origin, height, width, nChannels, mode, data). */
  static final StructType IMAGE_STRUCT = org.apache.spark.ml.image.ImageSchema.columnSchema();

  private ImageColumns() {}

  /** @return whether {@code t} is Spark's image struct (origin, height, width, nChannels, mode, data) */
  static boolean isImageStruct(DataType t) {
    if (!(t instanceof StructType s)) {
      return false;
    }
    List<String> names = Arrays.asList(s.fieldNames());
    return names.equals(List.of("origin", "height", "width", "nChannels", "mode", "data"));
  }

  /**
   * @param stage the reading stage, for messages (e.g. its class name)
   * @param schema the rows' schema
   * @param imageCol the image column
   * @return its index
   * @throws IllegalArgumentException when it is missing (listing the columns) or neither an image
   *     struct nor binary
   */
  static int index(String stage, StructType schema, String imageCol) {
    if (!Arrays.asList(schema.fieldNames()).contains(imageCol)) {
      throw new IllegalArgumentException(stage + ": input column '" + imageCol + "' not found; columns: "
          + String.join(", ", schema.fieldNames()));
    }
    DataType t = schema.apply(imageCol).dataType();
    if (!(t instanceof BinaryType) && !isImageStruct(t)) {
      throw new IllegalArgumentException(stage + ": input column '" + imageCol + "' has type " + t.simpleString()
          + "; expected a Spark image struct (origin, height, width, nChannels, mode, data) or binary image bytes");
    }
    return schema.fieldIndex(imageCol);
  }

  /**
   * @param schema the rows' schema
   * @param imageCol the image column
   * @param binary true when it holds encoded bytes
   * @return what names a row (e.g. in an int8 calibration sample): {@code path}, else the image's
   *     origin, else its bytes' xxhash64
   */
  static Column rowId(StructType schema, String imageCol, boolean binary) {
    if (Arrays.asList(schema.fieldNames()).contains("path")) {
      return col("path");
    }
    return binary ? functions.xxhash64(col(imageCol)) : col(imageCol).getField("origin");
  }
}
