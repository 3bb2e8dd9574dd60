package org.argus.execution.inference;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * One pass of rows through one graph: the description the inference kernel runs, the same for
 * every surface (transfer plans, the ML stages, {@code OnnxTransformer}, SQL functions). Rows are
 * read in batches of {@code batchSize}; each graph input is filled from its {@link TensorSource};
 * ONNX Runtime runs once per batch on the executor JVM's cached session ({@code intraOpThreads}
 * threads); each output column is made by its {@link Emit}. An output row is the input row's
 * {@code keep} columns, then the output columns in order, then — with {@link HandleInvalid#KEEP} —
 * the reason column ({@code string}, null for valid rows).
 *
 * @param name what runs, for messages (e.g. {@code DeepImageFeaturizer deepImageFeaturizer_1a2b
 *     (mobilenet_v2)} or {@code stage 2/4 block_6_expand_relu → block_13_expand_relu})
 * @param graph where executors get the graph
 * @param inputs graph input name → source, one per graph input
 * @param outputs output columns, in order (several may read the same graph output)
 * @param keep indices of the input columns copied to the output row, in order
 * @param describeColumn index of a column naming a row in messages (a path or id), or -1
 * @param batchSize rows per ONNX Runtime call (≥ 1)
 * @param intraOpThreads ONNX Runtime intra-op threads of the session (≥ 1)
 * @param handleInvalid what to do with a row whose input is invalid
 * @param reasonColumn the reason column's name (used with {@link HandleInvalid#KEEP})
 * @param fixedBatch the graph's fixed batch size (its inputs declare a static batch dimension), or 0
 *     for a dynamic batch axis: with a fixed size every ONNX Runtime call gets exactly that many
 *     examples, a partition's last batch padded with zeros whose outputs are dropped; {@code
 *     batchSize} must equal it
 */
public record InferenceStage(
    String name,
    GraphSource graph,
    List<Input> inputs,
    List<Output> outputs,
    int[] keep,
    int describeColumn,
    int batchSize,
    int intraOpThreads,
    HandleInvalid handleInvalid,
    String reasonColumn,
    int fixedBatch) implements Serializable {

  /**
   * One graph input and what feeds it.
   *
   * @param tensor the graph input's name
   * @param source the column and its decoding
   */
  public record Input(String tensor, TensorSource source) implements Serializable {}

  /**
   * One output column.
   *
   * @param column the column's name
   * @param tensor the graph output it is made from
   * @param emit how
   */
  public record Output(String column, String tensor, Emit emit) implements Serializable {}

  /**
   * Validates and copies.
   *
   * @throws IllegalArgumentException for no inputs or outputs, a batch size or thread count below
   *     1, or two output columns with one name
   */
  public InferenceStage {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(graph, "graph");
    Objects.requireNonNull(handleInvalid, "handleInvalid");
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
    keep = keep.clone();
    if (inputs.isEmpty() || outputs.isEmpty()) {
      throw new IllegalArgumentException(name + ": an inference stage needs at least one input and one output, found "
          + inputs.size() + " and " + outputs.size());
    }
    if (batchSize < 1 || intraOpThreads < 1) {
      throw new IllegalArgumentException(name + ": batchSize and intraOpThreads must be ≥ 1, found " + batchSize
          + " and " + intraOpThreads);
    }
    if (outputs.stream().map(Output::column).distinct().count() != outputs.size()) {
      throw new IllegalArgumentException(name + ": output column names must be distinct, found "
          + outputs.stream().map(Output::column).toList());
    }
    if (reasonColumn == null) {
      reasonColumn = "invalid_reason";
    }
    if (fixedBatch < 0 || (fixedBatch > 0 && batchSize != fixedBatch)) {
      throw new IllegalArgumentException(name + ": the graph's fixed batch size is " + fixedBatch
          + " but the stage batches " + batchSize + " rows; they must be equal");
    }
    boolean whole = inputs.stream().anyMatch(i -> i.source() instanceof TensorSource.Numbers x && x.wholeTensor());
    if (whole && (batchSize != 1 || !inputs.stream().allMatch(
        i -> i.source() instanceof TensorSource.Numbers x && x.wholeTensor()))) {
      throw new IllegalArgumentException(name + ": when a row holds a whole tensor, every input must, and the "
          + "batch size must be 1 (found " + batchSize + ")");
    }
  }

  /**
   * A stage whose graph has a dynamic batch axis.
   *
   * @param name as the canonical constructor
   * @param graph as the canonical constructor
   * @param inputs as the canonical constructor
   * @param outputs as the canonical constructor
   * @param keep as the canonical constructor
   * @param describeColumn as the canonical constructor
   * @param batchSize as the canonical constructor
   * @param intraOpThreads as the canonical constructor
   * @param handleInvalid as the canonical constructor
   * @param reasonColumn as the canonical constructor
   */
  public InferenceStage(String name, GraphSource graph, List<Input> inputs, List<Output> outputs, int[] keep,
      int describeColumn, int batchSize, int intraOpThreads, HandleInvalid handleInvalid, String reasonColumn) {
    this(name, graph, inputs, outputs, keep, describeColumn, batchSize, intraOpThreads, handleInvalid, reasonColumn,
        0);
  }

  /** @return true when each row holds its inputs' whole tensors (batch axis included), one call per row */
  public boolean wholeTensor() {
    return inputs.get(0).source() instanceof TensorSource.Numbers x && x.wholeTensor();
  }

  /** @return the distinct graph outputs the stage fetches, in first-use order */
  public List<String> fetched() {
    return List.copyOf(new LinkedHashSet<>(outputs.stream().map(Output::tensor).toList()));
  }

  /**
   * The output rows' schema.
   *
   * @param input the input rows' schema
   * @return the kept input fields, one field per output column (nullable only with {@link
   *     HandleInvalid#KEEP}), then the reason column with {@link HandleInvalid#KEEP}
   * @throws IllegalArgumentException when an output column already exists among the kept fields
   */
  public StructType outputSchema(StructType input) {
    return outputSchema(name, input, keep, outputs, handleInvalid, reasonColumn);
  }

  /**
   * The output rows' schema of a stage before its graph is at hand (for {@code transformSchema}).
   *
   * @param name the stage, for messages
   * @param input the input rows' schema
   * @param keep the kept input columns
   * @param outputs the output columns
   * @param handleInvalid the invalid-row mode
   * @param reasonColumn the reason column (with {@link HandleInvalid#KEEP})
   * @return as {@link #outputSchema(StructType)}
   * @throws IllegalArgumentException when an output or reason column already exists
   */
  public static StructType outputSchema(String name, StructType input, int[] keep, List<Output> outputs,
      HandleInvalid handleInvalid, String reasonColumn) {
    List<StructField> fields = new ArrayList<>();
    for (int k : keep) {
      fields.add(input.fields()[k]);
    }
    List<String> names = new ArrayList<>(fields.stream().map(StructField::name).toList());
    boolean nullable = handleInvalid == HandleInvalid.KEEP;
    for (Output o : outputs) {
      if (names.contains(o.column())) {
        throw new IllegalArgumentException(name + ": output column '" + o.column()
            + "' already exists; pick another output column name (columns: " + names + ")");
      }
      names.add(o.column());
      fields.add(DataTypes.createStructField(o.column(), o.emit().type(), nullable));
    }
    if (handleInvalid == HandleInvalid.KEEP) {
      if (names.contains(reasonColumn)) {
        throw new IllegalArgumentException(name + ": reason column '" + reasonColumn + "' already exists; "
            + "set another invalidReasonCol");
      }
      fields.add(DataTypes.createStructField(reasonColumn, DataTypes.StringType, true));
    }
    return DataTypes.createStructType(fields);
  }

  /**
   * @param n input columns
   * @return {@code [0, 1, …, n−1]}: keep every input column
   */
  public static int[] all(int n) {
    int[] k = new int[n];
    Arrays.setAll(k, i -> i);
    return k;
  }

  @Override
  public String toString() {
    return "InferenceStage[" + name + ", " + inputs.size() + " input(s), outputs "
        + outputs.stream().map(Output::column).toList() + ", batch " + batchSize + ", " + intraOpThreads
        + " thread(s), handleInvalid " + handleInvalid.paramValue() + "]";
  }
}
