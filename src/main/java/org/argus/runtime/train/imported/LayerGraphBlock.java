package org.argus.runtime.train.imported;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A DAG of Keras layers as one DJL block (DJL's {@code SequentialBlock} cannot express residual
 * {@code Add} or {@code Concatenate} joins): one input tensor, the layers evaluated in topological
 * order, each reading its inbound layers' outputs by name, and the requested layers' outputs
 * returned in order.
 *
 * <p>Built by {@link KerasDjlGraph}; the child blocks are named by Keras layer, so {@link
 * #getChildren()} lists the layers in evaluation order and their parameters are prefixed with the
 * layer name.
 */
public final class LayerGraphBlock extends AbstractBlock {
  /** One layer of the DAG: its name, its inbound layer names in order, its block. */
  record Node(String name, List<String> inbound, NodeBlock block) {}

  private final String input;
  private final List<Node> nodes;
  private final List<String> outputs;
  private final boolean nhwcInput;

  /**
   * @param input the name the input tensor is known by (the {@code InputLayer} or the layer the
   *     graph starts above)
   * @param nodes layers in topological order
   * @param outputs layers whose outputs the block returns, in this order
   * @param nhwcInput true when the input is an {@code [N, H, W, C]} image to transpose to NCHW
   *     first (the Keras {@code InputLayer}), false when it is used as is
   */
  LayerGraphBlock(String input, List<Node> nodes, List<String> outputs, boolean nhwcInput) {
    org.argus.runtime.train.ZeroedAllocations.ensure(); // before its first convolution (shape inference runs one)
    this.input = Objects.requireNonNull(input, "input");
    this.nodes = List.copyOf(nodes);
    this.outputs = List.copyOf(outputs);
    this.nhwcInput = nhwcInput;
    for (Node n : this.nodes) {
      addChildBlock(n.name(), n.block());
    }
  }

  /** @return the name of the tensor the block reads */
  public String inputName() {
    return input;
  }

  /** @return the layers the block returns, in order */
  public List<String> outputNames() {
    return outputs;
  }

  /** @return the Keras layer names of the DAG, in evaluation order */
  public List<String> layerNames() {
    return nodes.stream().map(Node::name).toList();
  }

  /**
   * @param layer a layer of this graph
   * @return its block (for freezing or inspecting its parameters)
   * @throws IllegalArgumentException when the graph has no such layer
   */
  public Block layer(String layer) {
    for (Node n : nodes) {
      if (n.name().equals(layer)) {
        return n.block();
      }
    }
    throw new IllegalArgumentException("no layer '" + layer + "' in this graph; layers: "
        + layerNames());
  }

  /**
   * Chooses how the graph's BatchNormalization layers behave in training mode.
   *
   * @param on true [default]: batch statistics, moving statistics updated (Keras {@code
   *     training=True}); false: moving statistics, unchanged, while γ and β still train — what
   *     Keras recommends when fine-tuning a pretrained model (its transfer-learning guide: keep
   *     BatchNormalization in inference mode), so the statistics the next layers were trained with
   *     stay valid
   * @return this graph
   */
  public LayerGraphBlock setBatchNormStatistics(boolean on) {
    for (Node n : nodes) {
      if (n.block() instanceof BatchNormBlock bn) {
        bn.setBatchStatistics(on);
      }
    }
    return this;
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    Map<String, NDArray> values = new HashMap<>();
    NDArray x = inputs.singletonOrThrow();
    values.put(input, nhwcInput ? nchwContiguous(x) : x);
    for (Node n : nodes) {
      NDList in = new NDList(n.inbound().size());
      for (String name : n.inbound()) {
        in.add(values.get(name));
      }
      NDArray out = n.block().apply(ps, in, training);
      values.put(n.name(), out);
    }
    NDList result = new NDList(outputs.size());
    for (String o : outputs) {
      result.add(values.get(o));
    }
    return result;
  }

  /**
   * {@code [N, H, W, C]} → {@code [N, C, H, W]} copied into contiguous NCHW memory. A plain
   * transpose is a strided view in PyTorch's channels-last memory format, which propagates through
   * the convolutions; PyTorch 2.7.1's CPU depthwise convolution computed wrong values on such
   * inputs (found by {@code KerasDjlGraphTest}: 'dw_s2' off by up to 100 % with the view, exact
   * with the copy).
   */
  private static NDArray nchwContiguous(NDArray nhwc) {
    return contiguous(nhwc.transpose(0, 3, 1, 2));
  }

  /**
   * @param x any array
   * @return {@code x} itself when it is row-major contiguous (a view), else a row-major copy:
   *     flattening a strided view (e.g. channels-last memory) cannot be a view, so PyTorch copies
   */
  static NDArray contiguous(NDArray x) {
    Shape s = x.getShape();
    return x.reshape(-1).reshape(s);
  }

  @Override
  protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
    // every parameter's shape is fixed by its pretrained value: no shape propagation needed
    for (Node n : nodes) {
      n.block().initialize(manager, dataType, inputShapes);
    }
  }

  /**
   * Output shapes, by running the initialized graph on zeros (inference mode, a temporary manager).
   *
   * @throws IllegalStateException before {@link #initialize}
   */
  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    if (!isInitialized()) {
      throw new IllegalStateException("initialize the graph before asking for output shapes");
    }
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      NDList out = forwardInternal(new ParameterStore(m, false),
          new NDList(m.zeros(inputShapes[0], DataType.FLOAT32)), false, null);
      List<Shape> shapes = new ArrayList<>();
      for (NDArray a : out) {
        shapes.add(a.getShape());
      }
      return shapes.toArray(Shape[]::new);
    }
  }
}
