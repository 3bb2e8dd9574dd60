package org.argus.execution.inference;

import java.io.Serializable;
import java.util.Objects;
import java.util.function.Supplier;
import org.apache.spark.broadcast.Broadcast;

/**
 * Where an executor gets the ONNX bytes of a stage's graph: a Spark broadcast made once on the
 * driver (every surface but per-row SQL calls), or a supplier that resolves the graph on the
 * executor itself. The sha256 keys the per-JVM session cache, so the bytes are fetched only when
 * the JVM has no session for the graph yet.
 */
public abstract class GraphSource implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String sha256;

  /** @param sha256 hex sha256 of the graph's ONNX bytes */
  protected GraphSource(String sha256) {
    this.sha256 = Objects.requireNonNull(sha256, "sha256");
  }

  /** @return hex sha256 of the graph's ONNX bytes */
  public final String sha256() {
    return sha256;
  }

  /** @return the graph's serialized ONNX bytes (called once per executor JVM and graph) */
  public abstract byte[] bytes();

  /**
   * @param sha256 the graph's sha256
   * @param bytes a broadcast of its bytes
   * @return a source reading the broadcast
   */
  public static GraphSource broadcast(String sha256, Broadcast<byte[]> bytes) {
    return new FromBroadcast(sha256, bytes);
  }

  /**
   * @param sha256 the graph's sha256
   * @param bytes a serializable supplier producing the bytes on the executor
   * @param <S> the supplier's type
   * @return a source calling the supplier
   */
  public static <S extends Supplier<byte[]> & Serializable> GraphSource supplied(String sha256, S bytes) {
    return new Supplied(sha256, bytes);
  }

  private static final class FromBroadcast extends GraphSource {
    private static final long serialVersionUID = 1L;
    private final Broadcast<byte[]> bytes;

    FromBroadcast(String sha256, Broadcast<byte[]> bytes) {
      super(sha256);
      this.bytes = bytes;
    }

    @Override
    public byte[] bytes() {
      return bytes.value();
    }
  }

  private static final class Supplied extends GraphSource {
    private static final long serialVersionUID = 1L;
    private final Supplier<byte[]> bytes;

    Supplied(String sha256, Supplier<byte[]> bytes) {
      super(sha256);
      this.bytes = bytes;
    }

    @Override
    public byte[] bytes() {
      return bytes.get();
    }
  }
}
