package org.argus.execution.inference;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.argus.runtime.InferenceException;
import org.argus.runtime.ModelSession;
import org.argus.runtime.SessionCache;

/**
 * The one batch → ONNX Runtime → emit loop (executor side). Holds at most one batch of inputs and
 * outputs at a time; the session comes from the per-JVM {@link SessionCache}.
 */
final class InferenceKernel {
  private final InferenceStage stage;
  private final Counters counters;
  private final int[] per;
  private final List<String> fetched;
  private ModelSession session;

  InferenceKernel(InferenceStage stage, Counters counters) {
    this.stage = stage;
    this.counters = counters;
    this.per = stage.inputs().stream().mapToInt(i -> i.source().floatsPerExample()).toArray();
    this.fetched = stage.fetched();
  }

  /** @return the session of the stage's graph (created on first use in this JVM) */
  private ModelSession session() throws InferenceException {
    if (session == null) {
      session = TaskSessions.get(stage.graph().sha256(), stage.graph()::bytes, stage.intraOpThreads());
    }
    return session;
  }

  /**
   * Runs a partition, batch by batch.
   *
   * @param rows the partition's input rows
   * @return the output rows, lazily
   */
  Iterator<Row> apply(Iterator<Row> rows) {
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    return new Iterator<>() {
      private List<Row> ready = List.of();
      private int next;
      private long cycleStart = -1;
      private int cycles;

      /** Ends the running batch cycle (all its rows consumed) and starts the next. */
      private void cycle() {
        long now = threads.getCurrentThreadAllocatedBytes();
        if (cycles >= 2) {
          counters.batchCycle(now - cycleStart);
        }
        cycleStart = now;
        cycles++;
      }

      @Override
      public boolean hasNext() {
        while (next >= ready.size()) {
          cycle();
          if (!rows.hasNext()) {
            return false;
          }
          List<Row> batch = new ArrayList<>(stage.batchSize());
          while (batch.size() < stage.batchSize() && rows.hasNext()) {
            batch.add(rows.next());
          }
          ready = run(batch);
          next = 0;
        }
        return true;
      }

      @Override
      public Row next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return ready.get(next++);
      }
    };
  }

  /**
   * Runs one batch: validates and fills every row, one ONNX Runtime call for the valid rows, then
   * emits (invalid rows per {@link HandleInvalid}).
   *
   * @param batch 1 to {@code batchSize} input rows
   * @return the output rows, in input order (skipped rows left out)
   * @throws IllegalArgumentException for an invalid row under {@link HandleInvalid#ERROR}, naming
   *     the stage, the row and the reason
   * @throws IllegalStateException when ONNX Runtime fails (names the stage, graph and shapes)
   */
  List<Row> run(List<Row> batch) {
    int n = batch.size();
    int slots = stage.fixedBatch() > 0 ? stage.fixedBatch() : n;
    List<Object> buffers = new ArrayList<>();
    for (int k = 0; k < per.length; k++) {
      buffers.add(stage.inputs().get(k).source().elementType().newArray(slots * per[k]));
    }
    List<Row> kept = new ArrayList<>(n);
    List<String> reasons = new ArrayList<>(n);
    int valid = 0;
    for (Row r : batch) {
      String reason = null;
      for (int k = 0; k < per.length && reason == null; k++) {
        reason = stage.inputs().get(k).source().fill(r, buffers.get(k), valid * per[k]);
      }
      if (reason != null) {
        counters.invalid(1);
        switch (stage.handleInvalid()) {
          case SKIP -> {
            continue;
          }
          case KEEP -> {
            kept.add(r);
            reasons.add(reason);
            continue;
          }
          default -> throw new IllegalArgumentException(stage.name() + ": invalid " + what() + " in row " + describe(r)
              + ": " + reason + " (set handleInvalid to 'skip' to drop such rows or 'keep' to keep them "
              + "with null outputs and the reason)");
        }
      }
      kept.add(r);
      reasons.add(null);
      valid++;
    }
    counters.rows(n);
    List<ModelSession.Output> outs = valid == 0 ? List.of() : infer(buffers, valid);
    return emit(kept, reasons, outs);
  }

  /** @return one output row per kept input row: kept columns, output cells (null when invalid), reason */
  private List<Row> emit(List<Row> kept, List<String> reasons, List<ModelSession.Output> outs) {
    List<Row> result = new ArrayList<>(kept.size());
    int v = 0;
    boolean keepReason = stage.handleInvalid() == HandleInvalid.KEEP;
    int[] keep = stage.keep();
    for (int i = 0; i < kept.size(); i++) {
      Row r = kept.get(i);
      Object[] values = new Object[keep.length + stage.outputs().size() + (keepReason ? 1 : 0)];
      for (int k = 0; k < keep.length; k++) {
        values[k] = r.get(keep[k]);
      }
      String reason = reasons.get(i);
      if (reason == null) {
        for (int o = 0; o < stage.outputs().size(); o++) {
          InferenceStage.Output out = stage.outputs().get(o);
          values[keep.length + o] = out.emit().cell(outs.get(fetched.indexOf(out.tensor())), v);
        }
        v++;
      }
      if (keepReason) {
        values[values.length - 1] = reason;
      }
      result.add(RowFactory.create(values));
    }
    return result;
  }

  /**
   * One ONNX Runtime call. A dynamic batch axis gets the {@code valid} examples; a fixed one ({@link
   * InferenceStage#fixedBatch()}) always gets its size, the slots after {@code valid} left zero and
   * their outputs never emitted; a whole-tensor input gets its row's tensor as is, and each output
   * is read as one example ({@code [1, …]}).
   */
  private List<ModelSession.Output> infer(List<Object> buffers, int valid) {
    int runBatch = stage.fixedBatch() > 0 ? stage.fixedBatch() : valid;
    List<ModelSession.Input> feed = new ArrayList<>();
    for (int k = 0; k < per.length; k++) {
      InferenceStage.Input in = stage.inputs().get(k);
      feed.add(new ModelSession.Input(in.tensor(), truncate(buffers.get(k), runBatch * per[k]),
          in.source().elementType(), in.source().batchShape(runBatch)));
    }
    try {
      List<ModelSession.Output> outs = session().run(feed, fetched);
      if (stage.wholeTensor()) {
        List<ModelSession.Output> one = new ArrayList<>();
        for (ModelSession.Output o : outs) {
          long[] s = new long[o.shape().length + 1];
          s[0] = 1;
          System.arraycopy(o.shape(), 0, s, 1, o.shape().length);
          one.add(new ModelSession.Output(o.name(), o.data(), o.type(), s));
        }
        return one;
      }
      for (ModelSession.Output o : outs) {
        if (o.shape().length == 0 || o.shape()[0] != runBatch) {
          throw new IllegalStateException(stage.name() + ": graph output '" + o.name() + "' has shape "
              + Arrays.toString(o.shape()) + " for a batch of " + runBatch + "; outputs must keep the batch "
              + "dimension first");
        }
      }
      return outs;
    } catch (InferenceException e) {
      throw new IllegalStateException(stage.name() + ": " + e.getMessage(), e);
    }
  }

  /** @return {@code array} itself when it has {@code length} elements, else its first {@code length} */
  private static Object truncate(Object array, int length) {
    if (java.lang.reflect.Array.getLength(array) == length) {
      return array;
    }
    Object r = java.lang.reflect.Array.newInstance(array.getClass().getComponentType(), length);
    System.arraycopy(array, 0, r, 0, length);
    return r;
  }

  /** @return "image" when the stage reads one image column, else "input" */
  private String what() {
    return stage.inputs().size() == 1 && stage.inputs().get(0).source() instanceof TensorSource.Images
        ? "image" : "input";
  }

  private String describe(Row r) {
    int c = stage.describeColumn();
    if (c >= 0 && !r.isNullAt(c)) {
      return "'" + r.get(c) + "'";
    }
    for (InferenceStage.Input in : stage.inputs()) {
      if (in.source() instanceof TensorSource.Images img && !img.encoded() && !r.isNullAt(img.column())) {
        Row s = r.getStruct(img.column());
        if (!s.isNullAt(0)) {
          return "'" + s.getString(0) + "'";
        }
      }
    }
    return r.size() > 0 ? String.valueOf(r.get(0)) : "?";
  }
}
