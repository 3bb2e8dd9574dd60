package org.argus.surfaces.sql;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.catalyst.CatalystTypeConverters;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.JoinedRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.execution.metric.SQLMetric;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import scala.Function1;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The per-partition work of {@link ArgusBatchEvalExec} (shipped to the executors; holds no plan
 * node): batches of child rows in, {@code child row ++ results} UnsafeRows out.
 */
final class BatchEvaluator implements FlatMapFunction<Iterator<InternalRow>, InternalRow> {
  private static final long serialVersionUID = 1L;

  private final List<BatchedFunction.Kernel> kernels;
  private final List<Expression> inputs;
  private final List<Attribute> childOutput;
  private final List<Attribute> output;
  private final List<DataType> resultTypes;
  private final int batchSize;
  private final SQLMetric numOutputRows;
  private final SQLMetric numBatches;
  private final SQLMetric numBatchedValues;

  BatchEvaluator(
      List<BatchedFunction.Kernel> kernels,
      List<Expression> inputs,
      List<Attribute> childOutput,
      List<Attribute> output,
      List<DataType> resultTypes,
      int batchSize,
      SQLMetric numOutputRows,
      SQLMetric numBatches,
      SQLMetric numBatchedValues) {
    this.kernels = List.copyOf(kernels);
    this.inputs = List.copyOf(inputs);
    this.childOutput = List.copyOf(childOutput);
    this.output = List.copyOf(output);
    this.resultTypes = List.copyOf(resultTypes);
    this.batchSize = batchSize;
    this.numOutputRows = numOutputRows;
    this.numBatches = numBatches;
    this.numBatchedValues = numBatchedValues;
  }

  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  public Iterator<InternalRow> call(Iterator<InternalRow> rows) {
    int calls = kernels.size();
    UnsafeProjection args = UnsafeProjection.create(seq(inputs), seq(childOutput));
    UnsafeProjection out = UnsafeProjection.create((Seq<Expression>) (Seq) seq(output), seq(output));
    List<DataType> argTypes = inputs.stream().map(Expression::dataType).toList();
    List<Function1<Object, Object>> toScala = new ArrayList<>();
    List<Function1<Object, Object>> toCatalyst = new ArrayList<>();
    for (int c = 0; c < calls; c++) {
      toScala.add(CatalystTypeConverters.createToScalaConverter(argTypes.get(c)));
      toCatalyst.add(CatalystTypeConverters.createToCatalystConverter(resultTypes.get(c)));
    }
    return new BatchIterator(rows, args, out, argTypes, toScala, toCatalyst);
  }

  /** One partition's rows in batches: arguments of every call collected, one kernel call per batch. */
  private final class BatchIterator implements Iterator<InternalRow> {
    private final Iterator<InternalRow> rows;
    private final UnsafeProjection args;
    private final UnsafeProjection out;
    private final List<DataType> argTypes;
    private final List<Function1<Object, Object>> toScala;
    private final List<Function1<Object, Object>> toCatalyst;
    private final int calls = kernels.size();
    private final JoinedRow joined = new JoinedRow();

    BatchIterator(Iterator<InternalRow> rows, UnsafeProjection args, UnsafeProjection out, List<DataType> argTypes,
        List<Function1<Object, Object>> toScala, List<Function1<Object, Object>> toCatalyst) {
      this.rows = rows;
      this.args = args;
      this.out = out;
      this.argTypes = argTypes;
      this.toScala = toScala;
      this.toCatalyst = toCatalyst;
    }

    private final List<InternalRow> batch = new ArrayList<>(batchSize);
    private Object[][] results = new Object[0][];
    private int next;

    @Override
    public boolean hasNext() {
      if (next < batch.size()) {
        return true;
      }
      if (!rows.hasNext()) {
        return false;
      }
      runBatch();
      return true;
    }

    @Override
    public InternalRow next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      InternalRow r = out.apply(joined.apply(batch.get(next), new GenericInternalRow(results[next])));
      next++;
      numOutputRows.add(1);
      return r;
    }

    private void runBatch() {
      batch.clear();
      next = 0;
      while (batch.size() < batchSize && rows.hasNext()) {
        batch.add(rows.next().copy());
      }
      int n = batch.size();
      results = new Object[n][calls];
      List<List<Object>> values = new ArrayList<>();
      List<List<Integer>> where = new ArrayList<>();
      for (int c = 0; c < calls; c++) {
        values.add(new ArrayList<>(n));
        where.add(new ArrayList<>(n));
      }
      for (int i = 0; i < n; i++) {
        InternalRow a = args.apply(batch.get(i));
        for (int c = 0; c < calls; c++) {
          if (!a.isNullAt(c)) {
            values.get(c).add(toScala.get(c).apply(a.get(c, argTypes.get(c))));
            where.get(c).add(i);
          }
        }
      }
      for (int c = 0; c < calls; c++) {
        List<Object> v = values.get(c);
        if (v.isEmpty()) {
          continue;
        }
        List<?> res = kernels.get(c).apply(v);
        if (res.size() != v.size()) {
          throw new IllegalStateException(
              "ArgusBatchEval: a batched function returned " + res.size() + " results for "
                  + v.size() + " values");
        }
        numBatches.add(1);
        numBatchedValues.add(v.size());
        for (int k = 0; k < v.size(); k++) {
          results[where.get(c).get(k)][c] = toCatalyst(c, res.get(k));
        }
      }
    }

    private Object toCatalyst(int c, Object value) {
      if (value instanceof float[] f && resultTypes.get(c) instanceof ArrayType t
          && t.elementType().equals(DataTypes.FloatType)) {
        return UnsafeArrayData.fromPrimitiveArray(f);
      }
      return toCatalyst.get(c).apply(value);
    }
  }

  private static <T> Seq<T> seq(List<T> l) {
    return CollectionConverters.asScala(l).toList();
  }
}
