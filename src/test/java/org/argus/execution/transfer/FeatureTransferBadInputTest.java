package org.argus.execution.transfer;

import org.argus.execution.ProgressSink;
import org.argus.execution.SparkSessions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.argus.data.FashionMnist;
import org.argus.plan.Pooling;
import org.argus.plan.cost.JoinPlacement;
import org.argus.plan.cost.JoinStrategy;
import org.argus.plan.cost.LogicalPlan;
import org.argus.plan.cost.Overrides;
import org.argus.testing.SparkTestSession;
import org.argus.testing.faults.FaultRecorder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Bad input: ids on one side only, duplicated ids, null/NaN structured values, a one-class label,
 * an unknown layer, a missing column; and the structured columns joined before or after
 * inference, broadcast or shuffled, giving the same metrics. The bad-table cases are rows of the
 * fault catalogue ({@link FaultRecorder}).
 */
@Tag(FaultRecorder.TAG)
class FeatureTransferBadInputTest {
  private static Dataset<Row> images;
  private static List<Row> imageRows;
  private static final StructType TABLE = new StructType()
      .add("id", DataTypes.LongType, true)
      .add("label", DataTypes.IntegerType, true)
      .add("x1", DataTypes.DoubleType, true)
      .add("x2", DataTypes.DoubleType, true);

  @BeforeAll
  static void data() throws Exception {
    images = FashionMnist.sample(SparkTestSession.get(), FashionMnist.Split.TEST, 60, 11).cache();
    imageRows = images.select("id", "label").orderBy("id").collectAsList();
  }

  /** 50 image ids (2 duplicated, 1 NaN, 1 null) + 5 ids without an image. */
  static Dataset<Row> messyTable(boolean oneClass) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      long id = imageRows.get(i).getLong(0);
      int label = oneClass ? 0 : imageRows.get(i).getInt(1);
      Double x1 = i == 2 ? Double.NaN : i * 0.1;
      Double x2 = i == 3 ? null : (double) label;
      rows.add(RowFactory.create(id, label, x1, x2));
    }
    rows.add(RowFactory.create(imageRows.get(0).getLong(0), 1, 0.5, 0.5));
    rows.add(RowFactory.create(imageRows.get(1).getLong(0), 1, 0.5, 0.5));
    for (int j = 0; j < 5; j++) {
      rows.add(RowFactory.create(9_000_000L + j, 1, 0.5, 0.5));
    }
    return SparkTestSession.get().createDataFrame(rows, TABLE);
  }

  static TransferSpec.Builder base() {
    return TransferSpec.builder()
        .setImages(images)
        .setModel("mobilenet_v2")
        .optInputSize(64)
        .setLayers(List.of("block_3_expand_relu"))
        .optPooling(Pooling.parse("avg"))
        .optLearner(new LogisticRegression().setMaxIter(10));
  }

  @Test
  void idsOnOneSideDuplicatesAndNullsAreCountedNotSilentlyDropped() throws Exception {
    SparkSession spark = SparkTestSession.get();
    FeatureTransfer ft = FeatureTransfer.prepare(spark,
        base().optTable(messyTable(false)).optFeatureCols(List.of("x1", "x2")).build(), ProgressSink.SILENT);
    TransferResult.Counts c = ft.counts();
    assertEquals(60, c.imageRows());
    assertEquals(57, c.tableRows());
    assertEquals(2, c.quarantinedNullValues());
    assertEquals(4, c.quarantinedDuplicateIds());
    assertEquals(46, c.joinedRows());
    assertEquals(14, c.imagesDroppedByJoin());
    assertEquals(5, c.tableRowsDroppedByJoin());
    String explain = ft.explain();
    assertTrue(explain.contains("4 structured row(s) sharing an id") && explain.contains("null/NaN"), explain);
    assertTrue(explain.contains("14 image(s) without a structured row"), explain);
    String read = "read " + c.imageRows() + " image rows + " + c.tableRows() + " table rows";
    FaultRecorder.record(FaultRecorder.Group.TABLES, "ids on one side of the join only (images without a table row,"
            + " table rows without an image)",
        "FeatureTransfer.prepare dropped them in the join and counted them: " + c.imagesDroppedByJoin()
            + " image(s) without a structured row, " + c.tableRowsDroppedByJoin() + " structured row(s) without an image",
        "no: " + read + "; joined " + c.joinedRows() + ", every dropped row counted in the report");
    FaultRecorder.record(FaultRecorder.Group.TABLES, "duplicated ids in the structured table",
        "quarantined (every copy) with kind 'duplicate id' and a reason: " + c.quarantinedDuplicateIds()
            + " rows, \"duplicate id in the structured table\"",
        "no: " + read + "; " + c.quarantined() + " quarantined, " + c.joinedRows() + " joined");
    FaultRecorder.record(FaultRecorder.Group.TABLES, "null structured value in a feature column",
        "quarantined with kind 'structured value' and a reason per column: " + c.quarantineReasons().entrySet()
            .stream().filter(r -> r.getKey().contains(" column '")).map(r -> r.getValue() + " × " + r.getKey())
            .toList(),
        "no: " + read + "; " + c.quarantined() + " quarantined, " + c.joinedRows() + " joined");
  }

  /** 40 image ids: one with a NaN in x1, one with +Infinity in x2, one with a null label; plus a null id. */
  static Dataset<Row> nonFiniteTable() {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      long id = imageRows.get(i).getLong(0);
      Integer label = i == 7 ? null : imageRows.get(i).getInt(1);
      double x1 = i == 5 ? Double.NaN : i * 0.1;
      double x2 = i == 6 ? Double.POSITIVE_INFINITY : 1.0;
      rows.add(RowFactory.create(id, label, x1, x2));
    }
    rows.add(RowFactory.create(null, 1, 0.5, 0.5));
    return SparkTestSession.get().createDataFrame(rows, TABLE);
  }

  @Test
  void aNaNOrInfiniteFeatureIsQuarantinedWithItsColumnAndCountedNotTrainedOn() throws Exception {
    FeatureTransfer ft = FeatureTransfer.prepare(SparkTestSession.get(),
        base().optTable(nonFiniteTable()).optFeatureCols(List.of("x1", "x2")).build(), ProgressSink.SILENT);
    java.util.Map<String, String> byId = new java.util.TreeMap<>();
    for (Row q : ft.quarantine().collectAsList()) {
      byId.put(String.valueOf(q.getString(0)), q.getString(1) + ": " + q.getString(2));
    }
    java.util.Map<String, String> want = new java.util.TreeMap<>();
    want.put(String.valueOf(imageRows.get(5).getLong(0)), "structured value: NaN in feature column 'x1'");
    want.put(String.valueOf(imageRows.get(6).getLong(0)),
        "structured value: infinite value (Infinity) in feature column 'x2'");
    want.put(String.valueOf(imageRows.get(7).getLong(0)), "structured value: null in label column 'label'");
    want.put("null", "structured value: null in id column 'id'");
    assertEquals(want, byId, "each bad structured row quarantined with its kind and the column that made it bad");
    TransferResult.Counts c = ft.counts();
    assertEquals(41, c.tableRows());
    assertEquals(4, c.quarantinedNullValues());
    assertEquals(37, c.joinedRows(), "40 image ids - 3 quarantined");
    TransferResult.LayerResult layer = ft.run().layers().get(0);
    assertEquals(37, layer.trainRows() + layer.testRows(), "trained and tested on the clean rows only");
    assertTrue(Double.isFinite(layer.accuracy()), "accuracy " + layer.accuracy());
    String read = "read " + c.imageRows() + " image rows + " + c.tableRows() + " table rows";
    String lost = "no: " + read + "; " + c.quarantinedNullValues() + " quarantined, " + c.joinedRows()
        + " joined = trained + tested (" + layer.trainRows() + " + " + layer.testRows() + ")";
    FaultRecorder.record(FaultRecorder.Group.TABLES, "NaN structured value in a feature column",
        "quarantined: " + byId.get(String.valueOf(imageRows.get(5).getLong(0))), lost);
    FaultRecorder.record(FaultRecorder.Group.TABLES, "infinite structured value in a feature column",
        "quarantined: " + byId.get(String.valueOf(imageRows.get(6).getLong(0))), lost);
    FaultRecorder.record(FaultRecorder.Group.TABLES, "missing (null) id in the structured table",
        "quarantined: " + byId.get("null"), lost);
  }

  @Test
  void joinBeforeOrAfterInferenceBroadcastOrShuffleGiveTheSameMetrics() throws Exception {
    SparkSession spark = SparkTestSession.get();
    List<TransferResult> rs = new ArrayList<>();
    for (Overrides o : List.of(
        new Overrides(LogicalPlan.STAGED, null, null, null, null, null, JoinPlacement.AFTER_INFERENCE, JoinStrategy.BROADCAST, null),
        new Overrides(LogicalPlan.STAGED, null, null, null, null, null, JoinPlacement.BEFORE_INFERENCE, JoinStrategy.SHUFFLE, null))) {
      FeatureTransfer ft = FeatureTransfer.prepare(spark,
          base().optTable(messyTable(false)).optFeatureCols(List.of("x1", "x2")).optOverrides(o).build(),
          ProgressSink.SILENT);
      assertEquals(o.joinPlacement(), ft.decision().chosen().joinPlacement());
      assertEquals(o.joinStrategy(), ft.decision().chosen().joinStrategy());
      rs.add(ft.run());
    }
    TransferResult.LayerResult a = rs.get(0).layers().get(0);
    TransferResult.LayerResult b = rs.get(1).layers().get(0);
    assertEquals(144 + 2, a.featureDim());
    assertEquals(a.featureDim(), b.featureDim());
    assertEquals(46, a.trainRows() + a.testRows());
    assertEquals(a.trainRows(), b.trainRows());
    assertEquals(a.accuracy(), b.accuracy(), 1e-12);
    assertEquals(a.macroF1(), b.macroF1(), 1e-12);
    // estimates next to measurements
    TransferResult.Measured m = rs.get(0).measured();
    assertTrue(m.seconds() > 0 && m.peakHeapBytes() > 0 && m.materializedBytes() > 0, m.toString());
    assertTrue(rs.get(0).decision().chosen().peakHeapBytesPerExecutor() > 0);
  }

  @Test
  void aLabelWithOneClassIsRefusedBeforeInference() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> FeatureTransfer.prepare(SparkTestSession.get(),
            base().optTable(messyTable(true)).optFeatureCols(List.of("x1")).build(), ProgressSink.SILENT));
    assertTrue(e.getMessage().contains("label column 'label' has one class (0"), e.getMessage());
    FaultRecorder.record(FaultRecorder.Group.TABLES, "a label with one class",
        "FeatureTransfer.prepare refused it before any inference: " + e.getMessage(), "no: nothing run");
  }

  @Test
  void anUnknownLayerOrColumnIsRefusedNamingIt() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> FeatureTransfer.prepare(SparkTestSession.get(),
            base().setLayers(List.of("block_3_expand_relu", "nope")).build(), ProgressSink.SILENT));
    assertTrue(e.getMessage().contains("unknown layer 'nope' in mobilenet_v2"), e.getMessage());
    IllegalArgumentException c = assertThrows(IllegalArgumentException.class,
        () -> FeatureTransfer.prepare(SparkTestSession.get(),
            base().optTable(messyTable(false)).optFeatureCols(List.of("x9")).build(), ProgressSink.SILENT));
    assertTrue(c.getMessage().contains("no column 'x9'"), c.getMessage());
  }

  @Test
  void theSpecBuilderRefusesContradictions() {
    assertThrows(IllegalArgumentException.class, () -> TransferSpec.builder().setModel("mobilenet_v2").setTopLayers(2).build());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TransferSpec.builder().setImages(images).setModel("mobilenet_v2").build());
    assertTrue(e.getMessage().contains("either explicit layers or top k"), e.getMessage());
  }
}
