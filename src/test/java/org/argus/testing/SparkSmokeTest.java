package org.argus.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class SparkSmokeTest {
  @Test
  void sharedLocalSessionRunsAJob() {
    assertEquals(1000L, SparkTestSession.get().range(1000).count());
  }
}
