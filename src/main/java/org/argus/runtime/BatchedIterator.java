package org.argus.runtime;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Groups a partition's rows into batches of at most {@code batchSize}, runs one batch at a time
 * through a {@link BatchFunction} (one ONNX Runtime call per batch) and yields its outputs, so at
 * most one batch of inputs and outputs is held at once.
 *
 * @param <I> input row type
 * @param <O> output row type
 */
public final class BatchedIterator<I, O> implements Iterator<O> {
  /**
   * Turns one batch of inputs into outputs.
   *
   * @param <I> input row type
   * @param <O> output row type
   */
  @FunctionalInterface
  public interface BatchFunction<I, O> {
    /**
     * @param batch between 1 and {@code batchSize} rows, in partition order
     * @return the outputs for the batch (any number, in order)
     * @throws InferenceException when ONNX Runtime fails on the batch
     */
    List<O> apply(List<I> batch) throws InferenceException;
  }

  private final Iterator<I> source;
  private final int batchSize;
  private final BatchFunction<I, O> fn;
  private final String context;
  private final List<I> buffer;
  private List<O> ready = List.of();
  private int next;

  /**
   * @param source the partition's rows
   * @param batchSize rows per batch (≥ 1)
   * @param fn the per-batch work
   * @param context prefixed to the message of an {@link InferenceException} rethrown unchecked
   *     (e.g. the stage or layer name)
   * @throws IllegalArgumentException for a batch size below 1
   */
  public BatchedIterator(Iterator<I> source, int batchSize, BatchFunction<I, O> fn, String context) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize must be ≥ 1, found " + batchSize);
    }
    this.source = source;
    this.batchSize = batchSize;
    this.fn = fn;
    this.context = context;
    this.buffer = new ArrayList<>(batchSize);
  }

  /**
   * @throws IllegalStateException wrapping an {@link InferenceException} of the batch function
   */
  @Override
  public boolean hasNext() {
    while (next >= ready.size()) {
      if (!source.hasNext()) {
        return false;
      }
      buffer.clear();
      while (buffer.size() < batchSize && source.hasNext()) {
        buffer.add(source.next());
      }
      try {
        ready = fn.apply(buffer);
      } catch (InferenceException e) {
        throw new IllegalStateException(context + ": " + e.getMessage(), e);
      }
      next = 0;
    }
    return true;
  }

  @Override
  public O next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    return ready.get(next++);
  }
}
