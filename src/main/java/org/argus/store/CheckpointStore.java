package org.argus.store;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Checkpoints under a root URI (a local path, {@code file:///…} or {@code hdfs://…}; on a cluster it
 * must be reachable from every executor). File layout: magic {@code ARGC}, int format version, 32
 * bytes SHA-256 of the payload, long payload length, payload. Writes go to a temporary name and are
 * renamed into place, so a reader never sees a partial checkpoint. Serializable: executors use it
 * directly.
 */
public final class CheckpointStore implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final int MAGIC = 0x41524743;
  private static final int VERSION = 1;
  private final String root;

  /** @param root root directory URI or path */
  public CheckpointStore(String root) {
    this.root = root;
  }

  /** @return the root */
  public String root() {
    return root;
  }

  private Path path(String name) {
    return new Path(root, name);
  }

  private FileSystem fs() throws IOException {
    return HadoopConf.fileSystem(new Path(root));
  }

  /**
   * Writes atomically (temporary file + rename): a failed write (a full disk) leaves neither a
   * partial checkpoint nor its temporary file, and an earlier checkpoint of the same name intact.
   *
   * @param name relative name, e.g. {@code ckpt/trial-3/e1-u2.ckpt}
   * @param payload bytes
   * @return bytes written to storage (payload + 48-byte header)
   * @throws CheckpointException on an I/O error, naming the checkpoint's path and the cause (e.g.
   *     {@code No space left on device})
   */
  public long write(String name, byte[] payload) throws CheckpointException {
    Path dst = path(name);
    try {
      AtomicFiles.write(fs(), dst, raw -> {
        DataOutputStream out = new DataOutputStream(raw);
        out.writeInt(MAGIC);
        out.writeInt(VERSION);
        out.write(sha256(payload));
        out.writeLong(payload.length);
        out.write(payload);
        out.flush();
      });
      return payload.length + 48L;
    } catch (IOException e) {
      throw new CheckpointException("cannot write checkpoint " + dst + ": " + rootMessage(e), e);
    }
  }

  /** @return the innermost cause's message ({@code No space left on device} for a full disk) */
  private static String rootMessage(Throwable e) {
    Throwable c = e;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    return c.getMessage();
  }

  /**
   * @param name relative name
   * @return the payload, checksum verified
   * @throws CheckpointException if missing, truncated, of another format, or the SHA-256 differs
   */
  public byte[] read(String name) throws CheckpointException {
    Path p = path(name);
    try {
      FileSystem fs = fs();
      if (!fs.exists(p)) {
        throw new CheckpointException("checkpoint " + p + " is missing", null);
      }
      try (InputStream raw = fs.open(p);
          DataInputStream in = new DataInputStream(raw)) {
        if (in.readInt() != MAGIC) {
          throw new CheckpointException("checkpoint " + p + " is corrupted: not an Argus checkpoint", null);
        }
        int v = in.readInt();
        if (v > VERSION) {
          throw new CheckpointException(
              "checkpoint " + p + " has format version " + v + "; supported at most " + VERSION, null);
        }
        byte[] sum = new byte[32];
        in.readFully(sum);
        long len = in.readLong();
        if (len < 0 || len > Integer.MAX_VALUE - 64) {
          throw new CheckpointException("checkpoint " + p + " is corrupted: length " + len, null);
        }
        byte[] payload = new byte[(int) len];
        in.readFully(payload);
        if (!Arrays.equals(sum, sha256(payload))) {
          throw new CheckpointException("checkpoint " + p + " is corrupted: SHA-256 mismatch", null);
        }
        return payload;
      }
    } catch (org.apache.hadoop.fs.ChecksumException e) {
      throw new CheckpointException("checkpoint " + p + " is corrupted: filesystem checksum error", e);
    } catch (java.io.EOFException e) {
      throw new CheckpointException("checkpoint " + p + " is corrupted: truncated", e);
    } catch (IOException e) {
      throw new CheckpointException("cannot read checkpoint " + p + ": " + e.getMessage(), e);
    }
  }

  /**
   * @param name relative name
   * @return true if the file exists
   * @throws CheckpointException on an I/O error
   */
  public boolean exists(String name) throws CheckpointException {
    try {
      return fs().exists(path(name));
    } catch (IOException e) {
      throw new CheckpointException("cannot stat " + path(name) + ": " + e.getMessage(), e);
    }
  }

  /**
   * @param dir relative name of a directory
   * @return the names of the files in it (not hidden ones: no leading {@code .}); empty if it does
   *     not exist
   * @throws CheckpointException on an I/O error
   */
  public java.util.Set<String> list(String dir) throws CheckpointException {
    try {
      FileSystem fs = fs();
      Path p = path(dir);
      java.util.Set<String> out = new java.util.HashSet<>();
      if (!fs.exists(p)) {
        return out;
      }
      for (org.apache.hadoop.fs.FileStatus st : fs.listStatus(p)) {
        String n = st.getPath().getName();
        if (!n.startsWith(".")) {
          out.add(n);
        }
      }
      return out;
    } catch (IOException e) {
      throw new CheckpointException("cannot list " + path(dir) + ": " + e.getMessage(), e);
    }
  }

  /**
   * Deletes a file or a directory with everything under it; nothing happens if it does not exist.
   *
   * @param name relative name
   * @throws CheckpointException on an I/O error
   */
  public void delete(String name) throws CheckpointException {
    try {
      fs().delete(path(name), true);
    } catch (IOException e) {
      throw new CheckpointException("cannot delete " + path(name) + ": " + e.getMessage(), e);
    }
  }

  static byte[] sha256(byte[] b) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(b);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static byte[] readAll(InputStream in) throws IOException {
    ByteArrayOutputStream bos = new ByteArrayOutputStream();
    in.transferTo(bos);
    return bos.toByteArray();
  }
}
