package org.argus.model.splice;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl;
import java.util.List;
import java.util.SplittableRandom;
import org.argus.model.keras.OnnxProtos;
import org.argus.plan.Pooling;
import org.argus.runtime.ModelSession;
import org.argus.runtime.SessionCache;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * The pooling operators a spliced graph runs in ONNX Runtime give what {@link Pooling#apply}
 * (the inference kernel's reduction) gives, for every pooling form, on divisible and
 * non-divisible spatial sizes, including a grid larger than the activation.
 */
class PoolingNodesTest {
  private static final int N = 3;

  /** @return a graph x [N, C, H, W] → pooled [N, D] */
  private static byte[] graph(Pooling p, int c, int h, int w) {
    OnnxMl.GraphProto.Builder g = OnnxMl.GraphProto.newBuilder().setName("pool")
        .addInput(OnnxProtos.floatValueInfo("x", new Object[] {"N", c, h, w}));
    PoolingNodes.Pooled out = PoolingNodes.append(g, "x", new long[] {c, h, w}, p, "p/");
    g.addOutput(OnnxProtos.floatValueInfo(out.output(), new Object[] {"N", (int) out.dim()}));
    return OnnxMl.ModelProto.newBuilder().setIrVersion(7)
        .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
        .setGraph(g).build().toByteArray();
  }

  @ParameterizedTest(name = "{0} on {1}x{2}x{3}")
  @CsvSource({
    "none, 4, 3, 3",
    "avg, 5, 6, 6",
    "max, 5, 6, 6",
    "max:2, 4, 6, 6",   // divisible: MaxPool kernel 3
    "avg:2, 4, 6, 4",   // divisible: AveragePool kernel 3x2
    "avg:3, 4, 4, 4",   // 3 does not divide 4: overlapping adaptive bins
    "max:4, 3, 6, 6",   // 4 does not divide 6
    "avg:4, 3, 3, 3",   // grid larger than the activation: rows repeat
    "max:3, 2, 7, 5"    // non-square
  })
  void poolingOperatorsEqualPoolingApply(String pooling, int c, int h, int w) throws Exception {
    Pooling p = Pooling.parse(pooling);
    float[] x = new float[N * c * h * w];
    SplittableRandom r = new SplittableRandom(7);
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
    }
    int d = p.outputDim(c, h, w);
    float[] want = new float[N * d];
    for (int n = 0; n < N; n++) {
      p.apply(x, n * c * h * w, c, h, w, want, n * d);
    }
    try (ModelSession s = SessionCache.open("pool " + pooling, graph(p, c, h, w), 1)) {
      List<ModelSession.Output> out = s.run("x", x, new long[] {N, c, h, w}, List.of("p/features"));
      assertArrayEquals(new long[] {N, d}, out.get(0).shape());
      assertArrayEquals(want, out.get(0).values(), 1e-6f, pooling);
    }
  }

  @Test
  void aDivisibleGridUsesOnePoolingOperatorAndAnIndivisibleOneSlicesEachBin() {
    OnnxMl.GraphProto.Builder g = OnnxMl.GraphProto.newBuilder();
    PoolingNodes.append(g, "x", new long[] {2, 6, 6}, Pooling.parse("max:2"), "p/");
    assertEquals(List.of("MaxPool", "Flatten"), g.getNodeList().stream().map(OnnxMl.NodeProto::getOpType).toList());
    OnnxMl.GraphProto.Builder b = OnnxMl.GraphProto.newBuilder();
    PoolingNodes.append(b, "x", new long[] {2, 6, 6}, Pooling.parse("max:4"), "p/");
    assertEquals(16, b.getNodeList().stream().filter(n -> n.getOpType().equals("Slice")).count());
  }

  @Test
  void aDynamicSpatialShapeIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> PoolingNodes.append(OnnxMl.GraphProto.newBuilder(), "block_13_expand_relu", new long[] {576, -1, -1},
            Pooling.parse("max:2"), "p/"));
    assertTrue(e.getMessage().contains("block_13_expand_relu") && e.getMessage().contains("dynamic shape"),
        e.getMessage());
  }
}
