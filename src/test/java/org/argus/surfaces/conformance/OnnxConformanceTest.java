package org.argus.surfaces.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.argus.data.OnnxTestData;
import org.argus.surfaces.conformance.OnnxConformance.CaseResult;
import org.argus.surfaces.conformance.OnnxConformance.Verdict;
import org.argus.testing.SparkTestSession;
import org.argus.testing.faults.FaultRecorder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A fast subset of ONNX's own backend test data (Debian {@code libonnx-testdata}, provisioned by
 * {@link OnnxTestData#root()}) through {@code OnnxTransformer} on Spark: cases chosen to cover each
 * element type in and out, scalars, broadcasting, integer inputs that shape the graph, whole
 * networks; and the non-tensor or unsupported-type cases that must be refused before any job. The
 * full run is {@code bench/run conformance}. The refusals of graphs ONNX Runtime cannot load are
 * rows of the fault catalogue ({@link FaultRecorder}).
 */
@Tag(FaultRecorder.TAG)
class OnnxConformanceTest {
  private static Map<String, BackendCase> cases;

  @BeforeAll
  static void listCases() throws Exception {
    Path root = OnnxTestData.root();
    cases = BackendCase.list(root).stream().collect(Collectors.toMap(BackendCase::id, Function.identity()));
  }

  private static CaseResult run(String id) {
    BackendCase c = cases.get(id);
    assertTrue(c != null, "no case " + id + " in " + OnnxTestData.ROOT);
    return OnnxConformance.run(SparkTestSession.get(), c);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "node/test_abs",                              // float
      "node/test_add_bcast",                        // two inputs, broadcasting
      "node/test_argmax_default_axis_example",      // int64 output
      "node/test_cast_FLOAT_to_DOUBLE",             // double output
      "node/test_cast_FLOAT_to_FLOAT16",            // float16 output
      "node/test_and2d",                            // bool in and out
      "node/test_bitshift_right_uint8",             // uint8
      "node/test_clip_default_int8_min",            // int8
      "node/test_mod_int64_fmod",                   // int64 in and out
      "node/test_reshape_reduced_dims",             // an int64 input that shapes the output
      "node/test_gather_0",                         // int64 indices
      "node/test_shape",                            // int64 shape output
      "node/test_where_example",                    // bool + float inputs
      "node/test_conv_with_strides_padding",
      "pytorch-operator/test_operator_exp",        // opset 6, implemented by ONNX Runtime
      "simple/test_single_relu_model",
      "pytorch-converted/test_Conv2d"})             // a whole network
  void aCaseOnnxRuntimeRunsGivesTheExpectedOutputsThroughOnnxTransformer(String id) {
    CaseResult r = run(id);
    assertEquals(Verdict.PASS, r.raw(), id + " with plain ONNX Runtime");
    assertEquals(Verdict.PASS, r.argus(), id + ": " + r.detail());
  }

  @ParameterizedTest
  @ValueSource(strings = {"node/test_identity_sequence", "node/test_sequence_insert_at_back",
      "node/test_optional_get_element"})
  void aNonTensorInputOrOutputIsRefusedBeforeAnyJob(String id) {
    CaseResult r = run(id);
    assertEquals(Verdict.REFUSED, r.argus(), id + ": " + r.detail());
    assertTrue(r.detail().contains("not a tensor") && r.detail().contains(cases.get(id).model().toString()),
        r.detail());
  }

  @ParameterizedTest
  @ValueSource(strings = {"node/test_cast_FLOAT_to_STRING", "node/test_bitshift_left_uint16"})
  void anElementTypeOutsideArgussIsRefusedNamingIt(String id) {
    CaseResult r = run(id);
    assertEquals(Verdict.REFUSED, r.argus(), id + ": " + r.detail());
    assertTrue(r.detail().matches(".*has element type (string|uint16); supported: float, uint8, .*"), r.detail());
  }

  @ParameterizedTest
  @ValueSource(strings = {"pytorch-operator/test_operator_add_broadcast", "node/test_max_int16"})
  void aModelOnnxRuntimeCannotLoadIsRefusedBeforeAnyJobNamingThePathAndOpsets(String id) {
    CaseResult r = run(id);
    assertEquals(Verdict.REFUSED, r.raw(), id + " with plain ONNX Runtime");
    assertEquals(Verdict.REFUSED, r.argus(), id + ": " + r.detail());
    assertTrue(r.detail().startsWith("OnnxTransformer: ONNX Runtime cannot load model " + cases.get(id).model()
        + " (opsets ai.onnx "), r.detail());
    FaultRecorder.record(FaultRecorder.Group.MODELS, id.startsWith("pytorch-operator/")
            ? "old opset (an operator version ONNX Runtime has no kernel for; ONNX test data " + id + ")"
            : "operator/type combination ONNX Runtime does not implement (ONNX test data " + id + ")",
        "OnnxTransformer.transform refused it before any job: " + r.detail(), "no: nothing run");
  }

  @Test
  void theToleranceCheckReportsWhatDiffers() {
    assertNull(OnnxConformance.differs(new Object[] {1.0f, 2.0f, Float.NaN}, new float[] {1.0f, 2.0f, Float.NaN}));
    assertNull(OnnxConformance.differs(new Object[] {1000.5f}, new float[] {1000.0f}), "within 1e-3 relative");
    assertEquals("value 1 is 2.009999990463257, expected 2.0",
        OnnxConformance.differs(new Object[] {1.0f, 2.01f}, new float[] {1.0f, 2.0f}));
    assertEquals("value 0 is true, expected false", OnnxConformance.differs(new Object[] {true}, new boolean[] {false}));
    assertEquals("1 values, expected 2", OnnxConformance.differs(new Object[] {1.0f}, new float[] {1.0f, 2.0f}));
  }
}
