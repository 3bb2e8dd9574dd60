package org.argus.surfaces.sql;

import java.io.Serializable;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;

/**
 * The batched form of a scalar SQL function registered through {@link SqlBatching#register}: one
 * argument varies per row (the <em>batched argument</em>, e.g. the image), every other argument
 * must be a constant (a foldable expression such as a literal model name) for a call to be
 * batched. A call that does not qualify keeps the registered per-row function.
 *
 * <p>Contract: for every non-null value {@code v} of the batched argument, the batched result must
 * equal the per-row function's result for {@code v} with the same constants (the per-row function
 * stays the fallback, e.g. in {@code WHERE}). Null values never reach a {@link Kernel}: the batched
 * call yields null for them, as the per-row functions here do.
 */
public interface BatchedFunction {
  /** @return the 0-based index of the argument that varies per row */
  int batchedArgument();

  /**
   * @param type the Catalyst type of the batched argument in a call
   * @return whether calls with that argument type can be batched (else they run per row)
   */
  boolean accepts(DataType type);

  /**
   * Binds a call's constant arguments, on the driver, once per query execution (e.g. resolves and
   * broadcasts a model).
   *
   * @param spark the session running the query
   * @param constants the call's argument values as external Java objects ({@code String},
   *     {@code Integer}, …), null at {@link #batchedArgument()} and for SQL NULL constants
   * @param type the Catalyst type of the batched argument
   * @param batchSize the most values one {@link Kernel#apply} call will get (≥ 1)
   * @return the kernel run on the executors
   * @throws IllegalArgumentException for invalid constants (the query fails with the message)
   */
  Kernel bind(SparkSession spark, Object[] constants, DataType type, int batchSize);

  /** The executor side of a bound call: results for a batch of values in one go. */
  interface Kernel extends Serializable {
    /**
     * @param values between 1 and {@code batchSize} non-null values of the batched argument in row
     *     order, as external Java objects ({@code Row} for a struct, {@code byte[]} for binary)
     * @return one result per value in the same order, as external Java objects of the function's
     *     return type ({@code float[]}/{@code Float[]} for {@code array<float>}, {@code Row[]} for
     *     an array of structs, boxed primitives), null allowed
     * @throws RuntimeException to fail the task (the query) with a message naming the value's
     *     problem
     */
    List<?> apply(List<Object> values);
  }
}
