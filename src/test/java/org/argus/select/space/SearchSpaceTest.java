package org.argus.select.space;

import static org.junit.jupiter.api.Assertions.*;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SearchSpaceTest {
  @Test
  void parsesTheIssueExample() {
    SearchSpace s = SearchSpace.parse("lr=loguniform(1e-4,1e-2);batch=choice(32,128);width=choice(64,256)");
    assertEquals(List.of("lr", "batch", "width"), List.copyOf(s.domains().keySet()));
    assertEquals(new Domain.LogUniform(1e-4, 1e-2), s.domains().get("lr"));
    assertEquals(new Domain.Choice(List.of(32L, 128L)), s.domains().get("batch"));
    assertEquals(s, SearchSpace.parse(s.toString()));
  }

  @Test
  void allFunctionsAndValueKinds() {
    SearchSpace s =
        SearchSpace.parse(" a = uniform(0, 1) ; b=quniform(0,1,0.25); c=randint(2,4); d=choice(adam, 'sgd'); e=7");
    assertEquals(5, s.domains().size());
    assertEquals(List.of(0.0, 0.25, 0.5, 0.75, 1.0), s.domains().get("b").gridValues().orElseThrow());
    assertEquals(List.of(2L, 3L, 4L), s.domains().get("c").gridValues().orElseThrow());
    assertEquals(List.of("adam", "sgd"), s.domains().get("d").gridValues().orElseThrow());
    assertEquals(List.of(7L), s.domains().get("e").gridValues().orElseThrow());
  }

  @Test
  void samplingIsSeededAndBounded() {
    SearchSpace s = SearchSpace.parse("lr=loguniform(1e-4,1e-2);q=quniform(0,1,0.1);n=randint(1,3)");
    var a = s.sampler(42);
    var b = s.sampler(42);
    Set<Object> ns = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      Config x = a.next();
      assertEquals(x, b.next());
      double lr = x.getDouble("lr");
      assertTrue(lr >= 1e-4 && lr < 1e-2, "lr " + lr);
      double q = x.getDouble("q");
      assertEquals(0, Math.abs(q * 10 - Math.round(q * 10)), 1e-9);
      ns.add(x.values().get("n"));
    }
    assertEquals(Set.of(1L, 2L, 3L), ns);
    assertNotEquals(s.sampler(1).next(), s.sampler(2).next());
  }

  @Test
  void streamsAreIndependentPerHyperparameter() {
    var only = SearchSpace.parse("lr=loguniform(1e-4,1e-2)").sampler(7);
    var more = SearchSpace.parse("w=choice(1,2,3);lr=loguniform(1e-4,1e-2);z=uniform(0,1)").sampler(7);
    for (int i = 0; i < 20; i++) {
      assertEquals(only.next().getDouble("lr"), more.next().getDouble("lr"));
    }
  }

  @Test
  void gridEnumeratesAllCombinations() {
    List<Config> g = SearchSpace.parse("a=choice(1,2);b=choice(x,y,z)").grid();
    assertEquals(6, g.size());
    assertEquals(6, new HashSet<>(g).size());
    var ex = assertThrows(IllegalArgumentException.class, () -> SearchSpace.parse("a=uniform(0,1)").grid());
    assertTrue(ex.getMessage().contains("a=uniform"), ex.getMessage());
  }

  private static int errorAt(String text) {
    return assertThrows(SpaceParseException.class, () -> SearchSpace.parse(text)).position();
  }

  @Test
  void errorsNameThePosition() {
    assertEquals(0, errorAt(""));
    assertEquals(0, errorAt("   ".substring(3)));
    assertEquals(3, errorAt("lr=foo(1,2)"));
    assertEquals(13, errorAt("lr=uniform(1,x)"));
    assertEquals(18, errorAt("lr=loguniform(1e-4"));
    assertEquals(2, errorAt("lr:uniform(0,1)"));
    assertEquals(3, errorAt("lr=uniform(1)"));
    assertEquals(3, errorAt("lr=uniform(2,1)"));
    assertEquals(3, errorAt("lr=loguniform(0,1)"));
    assertEquals(12, errorAt("a=choice(1);a=choice(2)"));
    assertEquals(9, errorAt("a=choice(1.2.3)"));
    assertEquals(3, errorAt("lr=choice()"));
    var ex = assertThrows(SpaceParseException.class, () -> SearchSpace.parse("lr=foo(1)"));
    assertTrue(ex.getMessage().contains("unknown function 'foo'"), ex.getMessage());
    assertTrue(ex.getMessage().contains("position 3"), ex.getMessage());
  }
}
