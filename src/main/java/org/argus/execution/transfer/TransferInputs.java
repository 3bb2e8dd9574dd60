package org.argus.execution.transfer;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.ml.feature.StringIndexer;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.argus.data.FashionMnist;
import org.argus.data.image.ImageFolder;
import org.argus.data.image.ImageReadResult;
import org.argus.execution.inference.ImageCheck;
import org.argus.provision.ProvisioningException;

/**
 * Feature transfer's prepared inputs: the image rows (from a DataFrame, an image folder or a
 * Fashion-MNIST sample) and the optional structured table, read once, cleaned, split and labelled,
 * with every bad row quarantined with a reason and counted — before any inference.
 *
 * <p>Quarantined: image rows with a null id, a null image or an image struct the inference kernel
 * could not use ({@link ImageCheck#reason}: the same reason every surface reports), files an image
 * folder could not decode, rows whose id occurs more than once in their table (every copy), and
 * structured rows with a null id, a null label, or a null, NaN or infinite feature (the reason names
 * the column). Ids on one side of the join only are
 * counted as dropped by the join. The test split is a hash of the id and the seed ({@code
 * xxhash64}), so it does not depend on partitioning or plan.
 *
 * @param images clean image rows: {@code _id, _image [, _label], _split}
 * @param table clean structured rows: {@code _id [, _label], _x0 … _xk}, or null without a table
 * @param xCols the structured feature columns' internal names, in the spec's order
 * @param counts row counts of the read, join and quarantine
 * @param quarantine the quarantined rows: {@code id string, kind string, reason string} (lazy); kind is
 *     {@value #KIND_IMAGE}, {@value #KIND_DUPLICATE} or {@value #KIND_STRUCTURED}
 * @param notes what the handling did, one line each (for EXPLAIN and the report)
 * @param cleanImageRows image rows left after the quarantine (what inference reads without a join
 *     before it)
 * @param trainRows rows of the training split that survive the join
 * @param numClasses labels' max index + 1 (classifiers' metadata)
 * @param imageBytesPerRow bytes of one decoded image row (for the cost model)
 * @param held what {@link #release} runs: each unpersists data the read cached
 */
record TransferInputs(
    Dataset<Row> images,
    Dataset<Row> table,
    List<String> xCols,
    TransferResult.Counts counts,
    Dataset<Row> quarantine,
    List<String> notes,
    long cleanImageRows,
    long trainRows,
    int numClasses,
    long imageBytesPerRow,
    List<Runnable> held) {

  /** Quarantine kind of an unusable image (null, undecodable, malformed) or a null id. */
  static final String KIND_IMAGE = "image";
  /** Quarantine kind of a row whose id occurs more than once in its table. */
  static final String KIND_DUPLICATE = "duplicate id";
  /** Quarantine kind of a structured row with a null id or label, or a null/NaN/infinite feature. */
  static final String KIND_STRUCTURED = "structured value";

  /** The reasons {@link Structured} gives a bad structured row (for EXPLAIN's note). */
  private static final java.util.regex.Pattern STRUCTURED_REASON =
      java.util.regex.Pattern.compile("(null|NaN|infinite value \\(-?Infinity\\)) in (id|label|feature) column '.*'");

  /** Most distinct reasons listed in the counts (the rest are summed as "other reasons"). */
  static final int MAX_REASONS = 50;

  /**
   * Reads and cleans the spec's inputs (small Spark queries: counts and one aggregation per table).
   *
   * @throws IllegalArgumentException for a missing column, a non-numeric feature column, a label
   *     with fewer than two classes, or no rows left after cleaning
   * @throws ProvisioningException when Fashion-MNIST cannot be provisioned
   */
  static TransferInputs read(SparkSession spark, TransferSpec spec) throws ProvisioningException {
    List<String> notes = new ArrayList<>();
    List<Runnable> held = new ArrayList<>();
    Structured s = spec.hasTable() ? Structured.read(spark, spec) : null;
    if (s != null) {
      held.add(() -> s.rows.unpersist(false));
    }
    try {
      return read(spark, spec, notes, held, s);
    } catch (RuntimeException | ProvisioningException e) {
      held.forEach(Runnable::run);
      throw e;
    }
  }

  private static TransferInputs read(SparkSession spark, TransferSpec spec, List<String> notes, List<Runnable> held,
      Structured s) throws ProvisioningException {
    boolean tableLabel = s != null && s.hasLabel;
    Dataset<Row> quarantine = s == null ? null : s.quarantine;
    Dataset<Row> img;
    if (spec.fashionMnistTrain() > 0) {
      FashionMnist.provision();
      Dataset<Row> tr = FashionMnist.sample(spark, FashionMnist.Split.TRAIN, spec.fashionMnistTrain(), spec.seed())
          .withColumn(Columns.SPLIT, lit("train"));
      Dataset<Row> te = FashionMnist.sample(spark, FashionMnist.Split.TEST, spec.fashionMnistTest(), spec.seed())
          .withColumn(Columns.SPLIT, lit("test"));
      img = tr.unionByName(te).select(col("id").as(Columns.ID), col("image").as(Columns.IMAGE),
          col("label").as(Columns.LABEL_RAW), col(Columns.SPLIT));
    } else {
      Dataset<Row> raw;
      String idCol = spec.idCol();
      String imageCol = spec.imageCol();
      String labelCol = spec.labelCol();
      if (spec.imageFolder() != null) {
        ImageReadResult r = ImageFolder.read(spark, spec.imageFolder());
        held.add(r::unpersist);
        quarantine = union(quarantine, r.quarantine().select(col("path").as("id"), lit(KIND_IMAGE).as("kind"),
            col("reason")));
        raw = r.decoded();
        idCol = "path";
        imageCol = "image";
        labelCol = "label";
      } else {
        raw = spec.images();
      }
      requireColumns(raw, "image table", idCol, imageCol);
      List<Column> sel = new ArrayList<>(List.of(col(idCol).as(Columns.ID), col(imageCol).as(Columns.IMAGE)));
      if (!tableLabel) {
        requireColumns(raw, "image table (no structured table supplies the label)", labelCol);
        sel.add(col(labelCol).as(Columns.LABEL_RAW));
      }
      if (Arrays.asList(raw.columns()).contains("split")) {
        sel.add(col("split").as(Columns.SPLIT));
      }
      img = raw.select(sel.toArray(new Column[0]));
    }
    // one pass decides every image row: null id, invalid image (the kernel's reasons), or usable
    Column reason = when(col(Columns.ID).isNull(), lit("null id"))
        .otherwise(functions.udf((UDF1<Row, String>) ImageCheck::reason, DataTypes.StringType)
            .apply(col(Columns.IMAGE)));
    img = img.withColumn(Columns.REASON, reason).cache();
    final Dataset<Row> checked = img;
    held.add(() -> checked.unpersist(false));
    Dataset<Row> badImages = img.filter(col(Columns.REASON).isNotNull());
    quarantine = union(quarantine, badImages.select(col(Columns.ID).cast("string").as("id"),
        lit(KIND_IMAGE).as("kind"), col(Columns.REASON).as("reason")));
    Dataset<Row> imgOk = img.filter(col(Columns.REASON).isNull()).drop(Columns.REASON);
    Dataset<Row> dups = imgOk.groupBy(Columns.ID).count().filter(col("count").gt(1)).select(col(Columns.ID).as("_dup"));
    quarantine = union(quarantine, imgOk.join(dups, col(Columns.ID).equalTo(col("_dup")), "left_semi")
        .select(col(Columns.ID).cast("string").as("id"), lit(KIND_DUPLICATE).as("kind"),
            lit("duplicate id in the image table").as("reason")));
    Dataset<Row> imgClean = imgOk.join(dups, col(Columns.ID).equalTo(col("_dup")), "left_anti");
    if (!Arrays.asList(imgClean.columns()).contains(Columns.SPLIT)) {
      long buckets = 10_000;
      Column h = functions.pmod(functions.xxhash64(col(Columns.ID).cast("string"), lit(spec.seed())), lit(buckets));
      imgClean = imgClean.withColumn(Columns.SPLIT,
          when(h.lt(lit((long) Math.round(spec.testFraction() * buckets))), lit("test")).otherwise(lit("train")));
    }
    // labels: numeric → double; anything else → index in sorted order
    Dataset<Row> labelled = tableLabel ? s.rows : imgClean;
    Dataset<Row> indexed = indexLabels(labelled);
    Dataset<Row> tbl = s == null ? null : tableLabel ? indexed : s.rows;
    if (!tableLabel) {
      imgClean = indexed;
    }
    return finish(spark, spec, notes, img, imgClean, tbl, s, quarantine, held);
  }

  private static TransferInputs finish(SparkSession spark, TransferSpec spec, List<String> notes, Dataset<Row> img,
      Dataset<Row> imgClean, Dataset<Row> tbl, Structured s, Dataset<Row> quarantine, List<Runnable> held) {
    Map<String, Long> reasons = new LinkedHashMap<>();
    Map<String, Long> kinds = new LinkedHashMap<>();
    Map<String, Long> imageReasons = new LinkedHashMap<>();
    reasons(quarantine, reasons, kinds, imageReasons);
    long imageRowsRead = img.count();
    long imageRows = imgClean.count();
    long badImages = kinds.getOrDefault(KIND_IMAGE, 0L);
    long dupImages = kinds.getOrDefault(KIND_DUPLICATE, 0L) - (s == null ? 0 : s.duplicateRows);
    long joined = imageRows;
    if (tbl != null) {
      joined = imgClean.select(Columns.ID).join(tbl.select(Columns.ID), Columns.ID).count();
    }
    if (joined == 0) {
      throw new IllegalArgumentException("no rows left to train on: " + imageRows + " clean image rows, "
          + (tbl == null ? "no table" : s.rowsRead + " table rows, 0 share an id (check the id column '"
              + spec.idCol() + "' on both sides)"));
    }
    // the label is the table's when it has one, else the images' (the table then only adds features)
    boolean tableLabel = tbl != null && Arrays.asList(tbl.columns()).contains(Columns.LABEL);
    Dataset<Row> labelsOfJoined = tbl == null ? imgClean
        : tableLabel ? imgClean.select(Columns.ID, Columns.SPLIT).join(tbl.select(Columns.ID, Columns.LABEL), Columns.ID)
        : imgClean.select(Columns.ID, Columns.SPLIT, Columns.LABEL).join(tbl.select(Columns.ID), Columns.ID);
    // (split, label) → rows: at most 2 × labels rows, safe to bring to the driver
    Set<Double> classes = new TreeSet<>();
    long trainRows = 0;
    double maxLabel = 0;
    for (Row r : labelsOfJoined.groupBy(Columns.SPLIT, Columns.LABEL).count().collectAsList()) {
      if (!r.isNullAt(1)) {
        classes.add(r.getDouble(1));
        maxLabel = Math.max(maxLabel, r.getDouble(1));
      }
      if ("train".equals(r.getString(0))) {
        trainRows += r.getLong(2);
      }
    }
    if (classes.size() < 2) {
      throw new IllegalArgumentException("label column '" + spec.labelCol() + "' has one class ("
          + (classes.isEmpty() ? "none" : String.valueOf(classes.iterator().next())) + ") over " + joined
          + " rows; a classifier needs at least two classes");
    }
    long tableRows = s == null ? 0 : s.rowsRead;
    long nullTable = s == null ? 0 : s.nullRows;
    long dupTable = s == null ? 0 : s.duplicateRows;
    TransferResult.Counts counts = new TransferResult.Counts(imageRowsRead,
        tableRows, joined, imageRows - joined, tbl == null ? 0 : tableRows - nullTable - dupTable - joined,
        badImages, dupImages + dupTable, nullTable, reasons);
    addNotes(notes, counts, imageReasons, dupImages, dupTable, nullTable);
    Row first = imgClean.select(Columns.IMAGE).first();
    long imageBytes = ((byte[]) first.getStruct(0).getAs("data")).length + 64L;
    return new TransferInputs(imgClean, tbl, s == null ? List.of() : s.xCols, counts,
        quarantine, notes, imageRows, trainRows, (int) maxLabel + 1, imageBytes, List.copyOf(held));
  }

  /**
   * Drops the data the read cached (the checked image rows, the structured table, a folder's
   * decode). Queries over {@link #images}, {@link #table} and {@link #quarantine} still work after
   * it: they recompute from the sources.
   */
  void release() {
    held.forEach(Runnable::run);
  }

  private static void addNotes(List<String> notes, TransferResult.Counts c, Map<String, Long> imageReasons,
      long dupImages, long dupTable, long nullTable) {
    if (c.quarantinedUndecodable() > 0) {
      notes.add(c.quarantinedUndecodable() + " image row(s) quarantined as unusable (null, undecodable or malformed): "
          + imageReasons.entrySet().stream().map(e -> e.getValue() + " × " + e.getKey()).limit(5).toList());
    }
    if (dupImages > 0) {
      notes.add(dupImages + " image row(s) sharing an id with another row quarantined (every copy)");
    }
    if (dupTable > 0) {
      notes.add(dupTable + " structured row(s) sharing an id with another row quarantined (every copy)");
    }
    if (nullTable > 0) {
      notes.add(nullTable + " structured row(s) with a null/NaN/infinite value, a null label or a null id "
          + "quarantined: " + c.quarantineReasons().entrySet().stream()
              .filter(e -> STRUCTURED_REASON.matcher(e.getKey()).matches())
              .map(e -> e.getValue() + " × " + e.getKey()).limit(5).toList());
    }
    if (c.imagesDroppedByJoin() > 0 || c.tableRowsDroppedByJoin() > 0) {
      notes.add(String.format("join on id: %d rows joined, %d image(s) without a structured row and %d "
          + "structured row(s) without an image dropped", c.joinedRows(), c.imagesDroppedByJoin(),
          c.tableRowsDroppedByJoin()));
    }
  }

  /**
   * Counts the quarantine by reason (most frequent first, at most {@link #MAX_REASONS}), by kind,
   * and the image reasons apart, with one aggregation whose result has one row per distinct (kind,
   * reason).
   */
  private static void reasons(Dataset<Row> quarantine, Map<String, Long> reasons, Map<String, Long> kinds,
      Map<String, Long> imageReasons) {
    if (quarantine == null) {
      return;
    }
    List<Row> rows = quarantine.groupBy("kind", "reason").count().orderBy(col("count").desc(), col("reason"))
        .collectAsList();
    for (int i = 0; i < rows.size(); i++) {
      Row r = rows.get(i);
      kinds.merge(r.getString(0), r.getLong(2), Long::sum);
      if (KIND_IMAGE.equals(r.getString(0))) {
        imageReasons.merge(r.getString(1), r.getLong(2), Long::sum);
      }
      reasons.merge(i < MAX_REASONS ? r.getString(1) : "other reasons", r.getLong(2), Long::sum);
    }
  }

  private static Dataset<Row> indexLabels(Dataset<Row> labelled) {
    DataType lt = labelled.schema().apply(Columns.LABEL_RAW).dataType();
    if (lt instanceof NumericType) {
      return labelled.withColumn(Columns.LABEL, col(Columns.LABEL_RAW).cast("double")).drop(Columns.LABEL_RAW);
    }
    return new StringIndexer().setInputCol(Columns.LABEL_RAW).setOutputCol(Columns.LABEL)
        .setStringOrderType("alphabetAsc").fit(labelled).transform(labelled).drop(Columns.LABEL_RAW);
  }

  private static Dataset<Row> union(Dataset<Row> a, Dataset<Row> b) {
    return a == null ? b : a.unionByName(b);
  }

  static void requireColumns(Dataset<Row> df, String what, String... cols) {
    List<String> have = Arrays.asList(df.columns());
    for (String c : cols) {
      if (!have.contains(c)) {
        throw new IllegalArgumentException(what + " has no column '" + c + "'; columns: " + have);
      }
    }
  }

  /** The structured table, read and cleaned. */
  private static final class Structured {
    Dataset<Row> rows;
    Dataset<Row> quarantine;
    boolean hasLabel;
    List<String> xCols = new ArrayList<>();
    long rowsRead;
    long nullRows;
    long duplicateRows;

    static Structured read(SparkSession spark, TransferSpec spec) {
      Structured s = new Structured();
      Dataset<Row> raw = spec.table() != null ? spec.table() : readTable(spark, spec.tablePath());
      requireColumns(raw, "structured table", spec.idCol());
      for (String x : spec.featureCols()) {
        requireColumns(raw, "structured table", x);
        DataType t = raw.schema().apply(x).dataType();
        if (!(t instanceof NumericType) && t != DataTypes.BooleanType) {
          throw new IllegalArgumentException("structured feature column '" + x + "' has type "
              + t.simpleString() + "; feature columns must be numeric");
        }
      }
      s.hasLabel = Arrays.asList(raw.columns()).contains(spec.labelCol());
      List<Column> sel = new ArrayList<>();
      sel.add(col(spec.idCol()).as(Columns.ID));
      if (s.hasLabel) {
        sel.add(col(spec.labelCol()).as(Columns.LABEL_RAW));
      }
      for (int i = 0; i < spec.featureCols().size(); i++) {
        s.xCols.add(Columns.x(i));
        sel.add(col(spec.featureCols().get(i)).cast("double").as(Columns.x(i)));
      }
      Dataset<Row> tbl = raw.select(sel.toArray(new Column[0]));
      s.rowsRead = tbl.count();
      Column reason = badValue(spec, s.hasLabel, s.xCols);
      Dataset<Row> nulls = tbl.withColumn(Columns.REASON, reason).filter(col(Columns.REASON).isNotNull());
      s.nullRows = nulls.count();
      tbl = tbl.filter(reason.isNull());
      Dataset<Row> dups = tbl.groupBy(Columns.ID).count().filter(col("count").gt(1)).select(col(Columns.ID).as("_dup"));
      Dataset<Row> dupRows = tbl.join(dups, col(Columns.ID).equalTo(col("_dup")), "left_semi");
      tbl = tbl.join(dups, col(Columns.ID).equalTo(col("_dup")), "left_anti").cache();
      s.duplicateRows = s.rowsRead - s.nullRows - tbl.count();
      s.rows = tbl;
      s.quarantine = nulls.select(col(Columns.ID).cast("string").as("id"), lit(KIND_STRUCTURED).as("kind"),
              col(Columns.REASON).as("reason"))
          .unionByName(dupRows.select(col(Columns.ID).cast("string").as("id"), lit(KIND_DUPLICATE).as("kind"),
              lit("duplicate id in the structured table").as("reason")));
      return s;
    }

    /**
     * @return per structured row, why it cannot be used (the first bad column, in the order id,
     *     label, features: {@code null in id column 'id'}, {@code null in label column 'y'}, {@code
     *     null in feature column 'x1'}, {@code NaN in feature column 'x1'}, {@code infinite value
     *     (-Infinity) in feature column 'x1'}), or null for a usable row
     */
    private static Column badValue(TransferSpec spec, boolean hasLabel, List<String> xCols) {
      Column r = when(col(Columns.ID).isNull(), lit("null in id column '" + spec.idCol() + "'"));
      if (hasLabel) {
        r = r.when(col(Columns.LABEL_RAW).isNull(), lit("null in label column '" + spec.labelCol() + "'"));
      }
      for (int i = 0; i < xCols.size(); i++) {
        Column x = col(xCols.get(i));
        String name = " in feature column '" + spec.featureCols().get(i) + "'";
        r = r.when(x.isNull(), lit("null" + name))
            .when(functions.isnan(x), lit("NaN" + name))
            .when(x.equalTo(lit(Double.POSITIVE_INFINITY)), lit("infinite value (Infinity)" + name))
            .when(x.equalTo(lit(Double.NEGATIVE_INFINITY)), lit("infinite value (-Infinity)" + name));
      }
      return r;
    }

    private static Dataset<Row> readTable(SparkSession spark, String path) {
      if (path.endsWith(".csv")) {
        return spark.read().option("header", "true").option("inferSchema", "true").csv(path);
      }
      if (path.endsWith(".parquet") || Files.isDirectory(Path.of(path))) {
        return spark.read().parquet(path);
      }
      throw new IllegalArgumentException("structured table '" + path + "': use a .csv (with header) or .parquet path");
    }
  }
}
