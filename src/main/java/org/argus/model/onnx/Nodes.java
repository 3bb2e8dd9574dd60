package org.argus.model.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.NodeProto;

/** Reading ONNX nodes: names for messages, optional inputs, attributes with defaults. */
final class Nodes {
  private Nodes() {}

  /** @return {@code 'name' (OpType)}, the way messages name a node */
  static String label(NodeProto n, int index) {
    return "'" + nodeName(n, index) + "' (" + n.getOpType() + ")";
  }

  /** @return the node's name, or {@code OpType#index} when it has none */
  static String nodeName(NodeProto n, int index) {
    return n.getName().isEmpty() ? n.getOpType() + "#" + index : n.getName();
  }

  /** @return the name of input #{@code i}, or {@code ""} when absent (ONNX's omitted optional input) */
  static String input(NodeProto n, int i) {
    return i < n.getInputCount() ? n.getInput(i) : "";
  }

  /** @return true when input #{@code i} is present and not the empty name */
  static boolean hasInput(NodeProto n, int i) {
    return n.getInputCount() > i && !n.getInput(i).isEmpty();
  }

  /** @return the attribute called {@code name}, or null */
  static AttributeProto attr(NodeProto n, String name) {
    for (AttributeProto a : n.getAttributeList()) {
      if (a.getName().equals(name)) {
        return a;
      }
    }
    return null;
  }

  /** @return the {@code INT} attribute's value, or {@code dflt} when absent */
  static long attrInt(NodeProto n, String name, long dflt) {
    AttributeProto a = attr(n, name);
    return a == null ? dflt : a.getI();
  }

  /** @return the {@code INTS} attribute's values, or null when absent */
  static long[] attrInts(NodeProto n, String name) {
    AttributeProto a = attr(n, name);
    return a == null ? null : a.getIntsList().stream().mapToLong(Long::longValue).toArray();
  }

  /** @return the {@code STRING} attribute's value (UTF-8), or {@code dflt} when absent */
  static String attrString(NodeProto n, String name, String dflt) {
    AttributeProto a = attr(n, name);
    return a == null ? dflt : a.getS().toStringUtf8();
  }
}
