package org.argus.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The per-JVM session cache closes the least recently used idle sessions beyond its bound and never
 * a leased one. Graphs are one-node ONNX models (y = x + c) told apart by their constant.
 */
public class SessionCacheTest {
  private String saved;

  @BeforeEach
  void keepOneIdle() {
    saved = System.getProperty(SessionCache.MAX_IDLE_PROPERTY);
    System.setProperty(SessionCache.MAX_IDLE_PROPERTY, "1");
  }

  @AfterEach
  void restore() {
    if (saved == null) {
      System.clearProperty(SessionCache.MAX_IDLE_PROPERTY);
    } else {
      System.setProperty(SessionCache.MAX_IDLE_PROPERTY, saved);
    }
  }

  /** @return an Add graph {@code y[1] = x[1] + c}, distinct bytes per {@code c} */
  public static byte[] addGraph(float c) {
    OnnxMl.TensorProto constant = OnnxMl.TensorProto.newBuilder().setName("c").setDataType(1).addDims(1)
        .addFloatData(c).build();
    OnnxMl.TypeProto t = OnnxMl.TypeProto.newBuilder().setTensorType(OnnxMl.TypeProto.Tensor.newBuilder()
        .setElemType(1).setShape(OnnxMl.TensorShapeProto.newBuilder()
            .addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(1)))).build();
    OnnxMl.GraphProto g = OnnxMl.GraphProto.newBuilder().setName("add")
        .addNode(OnnxMl.NodeProto.newBuilder().setOpType("Add").addInput("x").addInput("c").addOutput("y"))
        .addInitializer(constant)
        .addInput(OnnxMl.ValueInfoProto.newBuilder().setName("x").setType(t))
        .addOutput(OnnxMl.ValueInfoProto.newBuilder().setName("y").setType(t)).build();
    return OnnxMl.ModelProto.newBuilder().setIrVersion(8).setGraph(g)
        .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setVersion(13)).build().toByteArray();
  }

  /** A distinct graph key per test and constant (other tests share the JVM's cache). */
  static String sha(String test, float c) {
    return org.argus.provision.Sha256.of((test + c).getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /** Supplies a graph's bytes, counting how often the cache had to create its session. */
  static Supplier<byte[]> counting(float c, AtomicInteger created) {
    return () -> {
      created.incrementAndGet();
      return addGraph(c);
    };
  }

  static float run(ModelSession s) throws InferenceException {
    return s.run("x", new float[] {1f}, new long[] {1}, List.of("y")).get(0).values()[0];
  }

  @Test
  void aReleasedSessionIsReusedWhileFewerThanTheBoundAreIdle() throws Exception {
    AtomicInteger created = new AtomicInteger();
    String a = sha("reuse", 1f);
    try (SessionCache.Lease l = SessionCache.acquire(a, counting(1f, created), 1)) {
      assertEquals(2f, run(l.session()));
    }
    try (SessionCache.Lease l = SessionCache.acquire(a, counting(1f, created), 1)) {
      assertEquals(2f, run(l.session()));
    }
    assertEquals(1, created.get(), "the second lease found the idle session");
  }

  @Test
  void theLeastRecentlyUsedIdleSessionsBeyondTheBoundAreClosed() throws Exception {
    AtomicInteger created = new AtomicInteger();
    String a = sha("lru", 1f);
    String b = sha("lru", 2f);
    String c = sha("lru", 3f);
    SessionCache.Lease la = SessionCache.acquire(a, counting(1f, created), 1);
    ModelSession sa = la.session();
    la.close();
    SessionCache.acquire(b, counting(2f, created), 1).close();
    SessionCache.acquire(c, counting(3f, created), 1).close(); // a and b idle beyond the bound of 1: closed
    assertTrue(SessionCache.idle() <= 1, "idle sessions: " + SessionCache.idle());
    assertThrows(Exception.class, () -> run(sa), "a's session was closed");
    try (SessionCache.Lease again = SessionCache.acquire(c, counting(3f, created), 1)) {
      assertEquals(4f, run(again.session()));
    }
    assertEquals(3, created.get(), "c, the most recent, stayed open");
    try (SessionCache.Lease again = SessionCache.acquire(a, counting(1f, created), 1)) {
      assertEquals(2f, run(again.session()));
    }
    assertEquals(4, created.get(), "a was created again");
  }

  @Test
  void aLeasedSessionIsNeverClosedHoweverManyOthersGoIdle() throws Exception {
    AtomicInteger created = new AtomicInteger();
    try (SessionCache.Lease held = SessionCache.acquire(sha("held", 1f), counting(1f, created), 1)) {
      for (int i = 2; i < 6; i++) {
        SessionCache.acquire(sha("held", i), counting(i, created), 1).close();
      }
      assertEquals(2f, run(held.session()), "still open while leased");
    }
    assertEquals(5, created.get());
  }

  @Test
  void closingALeaseTwiceReleasesItOnce() throws Exception {
    AtomicInteger created = new AtomicInteger();
    String a = sha("twice", 1f);
    SessionCache.Lease first = SessionCache.acquire(a, counting(1f, created), 1);
    try (SessionCache.Lease second = SessionCache.acquire(a, counting(1f, created), 1)) {
      first.close();
      first.close(); // must not release the second lease
      for (int i = 2; i < 5; i++) {
        SessionCache.acquire(sha("twice", i), counting(i, created), 1).close();
      }
      assertEquals(2f, run(second.session()));
    }
  }

  @Test
  void aBadBoundIsRefusedNamingTheProperty() {
    System.setProperty(SessionCache.MAX_IDLE_PROPERTY, "-3");
    var e = assertThrows(IllegalArgumentException.class, SessionCache::maxIdle);
    assertTrue(e.getMessage().contains(SessionCache.MAX_IDLE_PROPERTY + "=-3") && e.getMessage().contains("≥ 0"),
        e.getMessage());
  }
}
