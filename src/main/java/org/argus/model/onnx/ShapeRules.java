package org.argus.model.onnx;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The table of {@link ShapeRule}s by ONNX op type (default domain): elementwise ops ({@link
 * ElementwiseShapes}), Conv and pooling ({@link ConvPoolShapes}), data movement ({@link
 * LayoutShapes}), matrix products ({@link MatrixShapes}) and value-making ops ({@link
 * ConstantShapes}).
 */
final class ShapeRules {
  private static final Map<String, ShapeRule> RULES = build();

  private ShapeRules() {}

  private static Map<String, ShapeRule> build() {
    Map<String, ShapeRule> all = new TreeMap<>();
    for (Map<String, ShapeRule> family : List.of(ElementwiseShapes.rules(), ConvPoolShapes.rules(),
        LayoutShapes.rules(), MatrixShapes.rules(), ConstantShapes.rules())) {
      for (Map.Entry<String, ShapeRule> e : family.entrySet()) {
        if (all.put(e.getKey(), e.getValue()) != null) {
          throw new IllegalStateException("two shape rules for ONNX op " + e.getKey());
        }
      }
    }
    return Collections.unmodifiableMap(all);
  }

  /** @return the rule for {@code opType}, or null when shapes of that op are not inferred */
  static ShapeRule forOp(String opType) {
    return RULES.get(opType);
  }

  /** @return every op type with a rule, sorted */
  static Set<String> ops() {
    return RULES.keySet();
  }
}
