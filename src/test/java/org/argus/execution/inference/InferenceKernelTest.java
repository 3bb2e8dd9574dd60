package org.argus.execution.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;
import org.argus.data.FashionMnist;
import org.argus.model.resolve.GraphCut;
import org.argus.model.resolve.ModelRef;
import org.argus.model.resolve.ResolvedModel;
import org.argus.plan.MaterializedFormat;
import org.argus.plan.Pooling;
import org.argus.testing.SparkTestSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The one inference kernel on the real MobileNetV2 (64×64) and real Fashion-MNIST images: a layer
 * computed from the previous layer's materialized activation equals the same layer computed from
 * the pixels (in both materialized formats), and invalid rows follow {@code handleInvalid} with
 * the same reason in every mode.
 */
class InferenceKernelTest {
  private static final String A = "block_3_expand_relu";
  private static final String B = "block_6_expand_relu";
  private static ResolvedModel mobilenet;
  private static Dataset<Row> images;

  @BeforeAll
  static void setUp() throws Exception {
    FashionMnist.provision();
    mobilenet = ResolvedModel.resolve(ModelRef.roster("mobilenet_v2").withInputSize(64), ResolvedModel.LOCAL_FILES);
    images = FashionMnist.sample(SparkTestSession.get(), FashionMnist.Split.TEST, 20, 7).repartition(3).cache();
  }

  static GraphSource graph(GraphCut cut) {
    byte[] bytes = cut.bytes();
    return GraphSource.supplied(cut.sha256(), (Supplier<byte[]> & Serializable) () -> bytes);
  }

  static InferenceStage.Input pixels(StructType schema) {
    return new InferenceStage.Input("input_1",
        new TensorSource.Images(schema.fieldIndex("image"), false, mobilenet.preprocessing()));
  }

  static Map<Long, float[]> byId(Dataset<Row> d, String col) {
    Map<Long, float[]> out = new HashMap<>();
    for (Row r : d.select("id", col).collectAsList()) {
      out.put(r.getLong(0), (float[]) toFloats(r.getList(1)));
    }
    return out;
  }

  static float[] toFloats(List<Object> l) {
    float[] f = new float[l.size()];
    for (int i = 0; i < f.length; i++) {
      f[i] = ((Number) l.get(i)).floatValue();
    }
    return f;
  }

  // BINARY_UINT8 stores an int8 stage's own quantization codes: fp32 stages here (Uint8ActivationsTest covers it)
  @ParameterizedTest
  @EnumSource(value = MaterializedFormat.class, names = {"BINARY_FLOAT32", "ARRAY_FLOAT"})
  void aLayerComputedFromTheMaterializedPreviousLayerEqualsItComputedFromThePixels(MaterializedFormat format) {
    Emit features = new Emit.Features(Pooling.VISTA_DEFAULT, false);
    StructType in = images.schema();
    InferenceStage first = new InferenceStage("stage 1", graph(mobilenet.cutFromPixels(List.of(A))),
        List.of(pixels(in)), List.of(new InferenceStage.Output("fa", A, features),
            new InferenceStage.Output("act", A, new Emit.Activation(format))),
        InferenceStage.all(in.size()), in.fieldIndex("id"), 5, 1, HandleInvalid.ERROR, null);
    Dataset<Row> s1 = Inference.apply(images, first, Counters.none()).cache();
    StructType s1s = s1.schema();
    long[] shapeA = {144, 16, 16}; // block_3_expand_relu at 64²: [N, 144, 16, 16]
    InferenceStage second = new InferenceStage("stage 2", graph(mobilenet.cut(List.of(A), List.of(B))),
        List.of(new InferenceStage.Input(A, new TensorSource.Activations(s1s.fieldIndex("act"), shapeA, format))),
        List.of(new InferenceStage.Output("fb", B, features)), new int[] {s1s.fieldIndex("id")}, 0, 5, 1,
        HandleInvalid.ERROR, null);
    Map<Long, float[]> staged = byId(Inference.apply(s1, second, Counters.none()), "fb");
    InferenceStage lazy = new InferenceStage("lazy", graph(mobilenet.cutFromPixels(List.of(B))),
        List.of(pixels(in)), List.of(new InferenceStage.Output("fb", B, features)), new int[] {in.fieldIndex("id")},
        0, 7, 1, HandleInvalid.ERROR, null);
    Map<Long, float[]> fromPixels = byId(Inference.apply(images, lazy, Counters.none()), "fb");
    assertEquals(20, staged.size());
    assertEquals(fromPixels.keySet(), staged.keySet());
    for (long id : staged.keySet()) {
      float[] e = fromPixels.get(id);
      float[] a = staged.get(id);
      assertEquals(e.length, a.length);
      assertEquals(192 * 4, a.length, "max:2 of 192 channels");
      float scale = 1e-6f;
      float diff = 0;
      for (int i = 0; i < e.length; i++) {
        scale = Math.max(scale, Math.abs(e[i]));
        diff = Math.max(diff, Math.abs(e[i] - a[i]));
      }
      assertTrue(diff / scale <= 1e-4, id + ": relative difference " + diff / scale);
    }
    s1.unpersist();
  }

  /** 3 good images and one whose struct claims 2 channels. */
  static Dataset<Row> withABadImage() {
    List<Row> rows = new ArrayList<>(images.limit(3).collectAsList());
    Row good = rows.get(0);
    Row img = good.getStruct(good.fieldIndex("image"));
    Row bad = RowFactory.create("bad.png", img.getInt(1), img.getInt(2), 2, img.getInt(4), img.get(5));
    Object[] v = new Object[good.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = good.get(i);
    }
    v[good.fieldIndex("id")] = -1L;
    v[good.fieldIndex("image")] = bad;
    rows.add(RowFactory.create(v));
    return SparkTestSession.get().createDataFrame(rows, images.schema());
  }

  static InferenceStage predictStage(StructType in, HandleInvalid h) {
    return new InferenceStage("test stage", graph(mobilenet.cutFromPixels(List.of(A))), List.of(pixels(in)),
        List.of(new InferenceStage.Output("f", A, new Emit.Features(Pooling.parse("avg"), true))),
        InferenceStage.all(in.size()), -1, 2, 1, h, "why");
  }

  @Test
  void skipDropsAndCountsAnInvalidRow() {
    Dataset<Row> d = withABadImage();
    Counters c = Counters.create(SparkTestSession.get().sparkContext(), "test.skip");
    List<Row> out = Inference.apply(d, predictStage(d.schema(), HandleInvalid.SKIP), c).collectAsList();
    assertEquals(3, out.size());
    assertEquals(4, c.rows());
    assertEquals(1, c.invalid());
  }

  @Test
  void keepKeepsAnInvalidRowWithNullOutputsAndTheReason() {
    Dataset<Row> d = withABadImage();
    Dataset<Row> out = Inference.apply(d, predictStage(d.schema(), HandleInvalid.KEEP), Counters.none());
    assertTrue(out.schema().apply("f").nullable());
    Row bad = out.filter("id = -1").first();
    assertNull(bad.get(bad.fieldIndex("f")));
    assertEquals("image has 2 channels; supported: 1 (gray), 3 (BGR), 4 (BGRA)", bad.getString(bad.fieldIndex("why")));
    assertEquals(3, out.filter("why is null and f is not null").count());
  }

  @Test
  void errorFailsNamingTheRowAndTheReason() {
    Dataset<Row> d = withABadImage();
    Exception e = assertThrows(Exception.class,
        () -> Inference.apply(d, predictStage(d.schema(), HandleInvalid.ERROR), Counters.none()).collectAsList());
    String m = String.valueOf(e.getMessage());
    assertTrue(m.contains("test stage: invalid image in row 'bad.png': image has 2 channels"), m);
  }

  @Test
  void aStageRefusesAnOutputColumnThatAlreadyExists() {
    StructType in = images.schema();
    InferenceStage s = new InferenceStage("dup", graph(mobilenet.cutFromPixels(List.of(A))), List.of(pixels(in)),
        List.of(new InferenceStage.Output("label", A, new Emit.Features(null, false))), InferenceStage.all(in.size()),
        -1, 1, 1, HandleInvalid.ERROR, null);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.outputSchema(in));
    assertTrue(e.getMessage().contains("output column 'label' already exists"), e.getMessage());
  }
}
