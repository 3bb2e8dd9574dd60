package org.argus.model.onnx;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Shape rules of elementwise ops. Unary ops and normalizations keep their input's shape and type
 * (Dropout's optional mask output is bool of the same shape). Binary and variadic ops broadcast
 * their inputs numpy-style ({@link Dims#broadcast}); comparisons and logical ops give bool, {@code
 * Where} the type of its second input, the others the type of their first.
 */
final class ElementwiseShapes {
  private static final List<String> SAME_AS_INPUT = List.of(
      "Identity", "Relu", "LeakyRelu", "PRelu", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Clip",
      "Elu", "Selu", "Celu", "HardSigmoid", "HardSwish", "Exp", "Log", "Sqrt", "Neg", "Abs", "Erf",
      "Floor", "Ceil", "Round", "Reciprocal", "Softplus", "Softsign", "Sign", "Not", "Gelu",
      "BatchNormalization", "InstanceNormalization", "LayerNormalization", "LRN", "Dropout", "Mish");
  private static final List<String> BROADCAST = List.of(
      "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean", "And", "Or", "Xor", "Equal",
      "Greater", "Less", "GreaterOrEqual", "LessOrEqual", "Where", "Mod");
  private static final Set<String> COMPARISONS = Set.of(
      "Equal", "Greater", "Less", "GreaterOrEqual", "LessOrEqual", "And", "Or", "Xor");

  private ElementwiseShapes() {}

  /** @return the rules of this family by op type */
  static Map<String, ShapeRule> rules() {
    Map<String, ShapeRule> m = new HashMap<>();
    for (String op : SAME_AS_INPUT) {
      m.put(op, ElementwiseShapes::sameAsInput);
    }
    for (String op : BROADCAST) {
      m.put(op, ElementwiseShapes::broadcasting);
    }
    return m;
  }

  private static void sameAsInput(ShapeInference si, NodeProto n, int index) {
    long[] xs = si.inputShape(n, 0);
    si.put(n, 0, si.inputType(n, 0), xs);
    if (n.getOpType().equals("Dropout")) {
      si.put(n, 1, DataType.BOOL_VALUE, xs);
    } else {
      for (int o = 1; o < n.getOutputCount(); o++) {
        si.put(n, o, 0, null);
      }
    }
  }

  private static void broadcasting(ShapeInference si, NodeProto n, int index) {
    String op = n.getOpType();
    long[] s = si.inputShape(n, 0);
    for (int i = 1; i < n.getInputCount(); i++) {
      s = Dims.broadcast(s, si.shape(n.getInput(i)), n, index);
    }
    int t = COMPARISONS.contains(op) ? DataType.BOOL_VALUE
        : op.equals("Where") ? si.type(Nodes.input(n, 1)) : si.inputType(n, 0);
    si.put(n, 0, t, s);
  }
}
