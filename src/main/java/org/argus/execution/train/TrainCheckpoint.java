package org.argus.execution.train;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The full state of a data-parallel run after an epoch, as written to the {@link
 * org.argus.store.CheckpointStore} (which adds its own header and SHA-256): what was trained (model
 * description, config), how (seed, global batch, partitions, sync-every) and the driver trainer's
 * state (weights, optimizer slots, optimizer step, seed). The shuffle order of every later epoch is
 * a function of the seed, the epoch and the partition, so these fields restore the run exactly.
 *
 * @param epoch epochs completed
 * @param seed the run's seed
 * @param globalBatch the global batch
 * @param partitions the partition count
 * @param syncEvery local steps per synchronization (1: synchronous SGD)
 * @param model the trainer factory's description
 * @param config the config's canonical text
 * @param classes the class count the model outputs
 * @param state the trainer state ({@link org.argus.runtime.train.Trainer#exportState()})
 */
public record TrainCheckpoint(int epoch, long seed, int globalBatch, int partitions, int syncEvery,
    String model, String config, int classes, byte[] state) {
  private static final int MAGIC = 0x41524450; // "ARDP"
  private static final int VERSION = 1;

  /** @return the serialized form */
  public byte[] toBytes() {
    ByteArrayOutputStream bos = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bos)) {
      out.writeInt(MAGIC);
      out.writeInt(VERSION);
      out.writeInt(epoch);
      out.writeLong(seed);
      out.writeInt(globalBatch);
      out.writeInt(partitions);
      out.writeInt(syncEvery);
      out.writeUTF(model);
      out.writeUTF(config);
      out.writeInt(classes);
      out.writeInt(state.length);
      out.write(state);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bos.toByteArray();
  }

  /**
   * @param bytes from {@link #toBytes()}
   * @param where the checkpoint's name, for messages
   * @return the checkpoint
   * @throws IllegalArgumentException if the bytes are not a data-parallel training checkpoint or
   *     of a newer format version (the message names {@code where})
   */
  public static TrainCheckpoint fromBytes(byte[] bytes, String where) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      int magic = in.readInt();
      if (magic != MAGIC) {
        throw new IllegalArgumentException(where + " is not an Argus training checkpoint (magic "
            + Integer.toHexString(magic) + ", expected " + Integer.toHexString(MAGIC) + ")");
      }
      int v = in.readInt();
      if (v > VERSION) {
        throw new IllegalArgumentException(where + " has training checkpoint version " + v
            + "; this Argus supports at most " + VERSION);
      }
      int epoch = in.readInt();
      long seed = in.readLong();
      int batch = in.readInt();
      int partitions = in.readInt();
      int syncEvery = in.readInt();
      String model = in.readUTF();
      String config = in.readUTF();
      int classes = in.readInt();
      byte[] state = new byte[in.readInt()];
      in.readFully(state);
      return new TrainCheckpoint(epoch, seed, batch, partitions, syncEvery, model, config, classes, state);
    } catch (IOException e) {
      throw new IllegalArgumentException(where + " is truncated or malformed: " + e.getMessage(), e);
    }
  }

  /**
   * @param epoch epochs completed
   * @return the checkpoint's name in the run's store: {@code checkpoints/epoch-0003.ckpt}
   */
  public static String name(int epoch) {
    return String.format("checkpoints/epoch-%04d.ckpt", epoch);
  }
}
