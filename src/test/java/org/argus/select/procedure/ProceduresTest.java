package org.argus.select.procedure;

import static org.junit.jupiter.api.Assertions.*;

import org.argus.select.space.SearchSpace;
import org.junit.jupiter.api.Test;

/** The text forms of the procedures ({@code --procedure}). */
class ProceduresTest {
  static final SearchSpace SPACE = SearchSpace.parse("lr=choice(0.1,0.01);width=choice(8,16)");
  static final Goal ACC = Goal.maximize("accuracy");

  static Procedure parse(String text) {
    return Procedures.parse(text, SPACE, 3, 2, 5, ACC);
  }

  static String error(String text) {
    return assertThrows(IllegalArgumentException.class, () -> parse(text)).getMessage();
  }

  @Test
  void eachFormBuildsItsProcedureWithItsArguments() {
    assertEquals("grid(epochs=3)", parse("grid").name());
    assertEquals(4, parse("grid").next(java.util.List.of()).train().size(), "2 x 2 grid");
    assertEquals("random(n=6,epochs=3)", parse("random:6").name());
    assertEquals("hyperband(R=9,eta=3)", parse("hyperband:9,3").name());
    assertEquals("asha(R=4,eta=2,maxTrials=8)", parse("asha:4, 2 ,8").name());
    assertEquals(2, parse("asha:4,2,8").next(java.util.List.of()).train().size(), "ASHA keeps 2 (the parallelism) training");
    assertSame(ACC, parse("random:2").goal());
  }

  @Test
  void tpeTakesItsTrialsAndAnOptionalStartupAndUsesTheEpochsAndSlots() {
    assertEquals("tpe(n=12,startup=10,epochs=3)", parse("tpe:12").name());
    assertEquals("tpe(n=12,startup=4,epochs=3)", parse("tpe:12, 4").name());
    assertEquals(2, parse("tpe:12").next(java.util.List.of()).train().size(), "TPE keeps 2 (the parallelism) training");
  }

  @Test
  void tpeErrorsNameThePartAtFault() {
    assertTrue(error("tpe:0").contains("n must be >= 1"), error("tpe:0"));
    assertTrue(error("tpe:x").contains("argument N of tpe:N[,STARTUP] at position 4 is 'x', not an integer"), error("tpe:x"));
    assertTrue(error("tpe:8,y").contains("argument STARTUP of tpe:N[,STARTUP] at position 6 is 'y', not an integer"),
        error("tpe:8,y"));
    assertTrue(error("tpe").contains("tpe takes 1 to 2 arguments (tpe:N[,STARTUP]); found 0"), error("tpe"));
    assertTrue(error("tpe:8,2,1").contains("tpe takes 1 to 2 arguments (tpe:N[,STARTUP]); found 3"), error("tpe:8,2,1"));
    assertTrue(error("tpe:8,0").contains("startup >= 1"), error("tpe:8,0"));
  }

  @Test
  void sameTextAndSeedGiveTheSameTrials() {
    Procedure a = parse("random:5");
    Procedure b = parse("random:5");
    a.next(java.util.List.of());
    b.next(java.util.List.of());
    assertEquals(a.trials(), b.trials());
  }

  @Test
  void anUnknownNameIsNamedWithTheValidForms() {
    String e = error("bohb:3");
    assertTrue(e.contains("procedure 'bohb:3': unknown procedure 'bohb' at position 0"), e);
    assertTrue(e.contains("valid forms: " + Procedures.FORMS), e);
    assertTrue(error("").contains("unknown procedure ''"), error(""));
  }

  @Test
  void aWrongNumberOfArgumentsNamesTheExpectedForm() {
    assertTrue(error("random").contains("random takes 1 argument (random:N); found 0"), error("random"));
    assertTrue(error("grid:2").contains("grid takes 0 arguments (grid); found 1"), error("grid:2"));
    assertTrue(error("asha:4,2").contains("asha takes 3 arguments (asha:R,ETA,MAX_TRIALS); found 2"), error("asha:4,2"));
  }

  @Test
  void aNonIntegerArgumentIsNamedWithItsPosition() {
    String e = error("asha:4,x,8");
    assertTrue(e.contains("argument ETA of asha:R,ETA,MAX_TRIALS at position 7 is 'x', not an integer"), e);
    e = error("hyperband:9,");
    assertTrue(e.contains("argument ETA of hyperband:R,ETA at position 12 is '', not an integer"), e);
  }

  @Test
  void outOfRangeValuesKeepTheProceduresOwnMessage() {
    assertTrue(error("random:0").contains("n must be >= 1"), error("random:0"));
    assertTrue(error("hyperband:9,1").contains("eta must be >= 2"), error("hyperband:9,1"));
  }
}
