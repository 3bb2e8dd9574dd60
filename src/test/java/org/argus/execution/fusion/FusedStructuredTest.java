package org.argus.execution.fusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.argus.data.FashionMnist;
import org.argus.execution.transfer.TransferSpec;
import org.argus.runtime.train.Hyperparameters;
import org.argus.testing.SparkTestSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fused selection with structured columns joined in (MobileNetV2 64², real Fashion-MNIST): a table
 * without a label column adds its features to every head's input and the label stays the images'.
 */
class FusedStructuredTest {
  static final long SEED = 42;
  @TempDir static Path tmp;
  static FusedSelection prepared;
  static FusedResult result;

  /** Per image id (train 80, test 30, seed 42): x1 = label / 9, x2 = id mod 5; no label column. */
  static Dataset<Row> table() throws Exception {
    List<Row> rows = new ArrayList<>();
    for (FashionMnist.Split split : List.of(FashionMnist.Split.TRAIN, FashionMnist.Split.TEST)) {
      for (Row r : FashionMnist.sample(SparkTestSession.get(), split, split == FashionMnist.Split.TRAIN ? 80 : 30, SEED)
          .select("id", "label").collectAsList()) {
        rows.add(RowFactory.create(r.getLong(0), r.getInt(1) / 9.0, (double) (r.getLong(0) % 5)));
      }
    }
    rows.add(RowFactory.create(99_999_999L, 0.5, 1.0)); // no image: dropped by the join
    StructType schema = new StructType().add("id", DataTypes.LongType).add("x1", DataTypes.DoubleType)
        .add("x2", DataTypes.DoubleType);
    return SparkTestSession.get().createDataFrame(rows, schema);
  }

  @BeforeAll
  static void run() throws Exception {
    TransferSpec t = TransferSpec.builder().setFashionMnist(80, 30).setModel("mobilenet_v2").optInputSize(64)
        .optSeed(SEED).setLayers(List.of("block_3_expand_relu")).optTable(table()).optFeatureCols(List.of("x1", "x2"))
        .build();
    prepared = FusedFixtures.grid(t, "lr=choice(0.01,0.003)", tmp.resolve("run")).prepare(SparkTestSession.get());
    result = prepared.run();
  }

  @AfterAll
  static void release() {
    prepared.release();
  }

  @Test
  void aTableWithoutALabelJoinsItsFeaturesAndTheImagesKeepTheirLabels() {
    assertEquals(110, prepared.transfer().counts().joinedRows());
    assertEquals(1, prepared.transfer().counts().tableRowsDroppedByJoin());
    assertEquals(10, result.factory().classes(), "the images' 10 Fashion-MNIST classes");
  }

  @Test
  void everyHeadReadsItsLayersViewThenTheStructuredColumns() {
    assertEquals(2, result.views().structuredDim());
    for (var e : result.selection().leaderboard()) {
      Hyperparameters h = Tables.hyperparameters(e.config(), prepared.procedure(), e.trial());
      assertEquals(result.views().view(h).dim() + 2, result.factory().inputShape(h)[0], e.config());
    }
  }

  @Test
  void everyConfigFinishesAndIsScoredOnTheTestSplit() {
    assertEquals(2, result.selection().leaderboard().size());
    for (var e : result.selection().leaderboard()) {
      assertEquals(2, e.epochs(), e.config());
      assertTrue(result.selection().test().containsKey(e.trial()), "test score of " + e.config());
    }
  }

  @Test
  void theSinglePoolingsTableCountsEveryConfig() {
    assertEquals(1, result.byPooling().size());
    assertEquals(2, result.byPooling().get(0).configs(), result.byPooling().toString());
  }
}
