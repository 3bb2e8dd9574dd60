package org.argus.select.procedure;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.argus.select.space.SearchSpace;

/**
 * Parses a procedure's text form, as the CLI's {@code --procedure} takes it: {@code grid}, {@code
 * random:N}, {@code tpe:N[,STARTUP]}, {@code hyperband:R,ETA} or {@code asha:R,ETA,MAX_TRIALS} (R =
 * max epochs; arguments in brackets are optional).
 */
public final class Procedures {
  /** The valid forms, for messages and help. */
  public static final String FORMS = "grid | random:N | tpe:N[,STARTUP] | hyperband:R,ETA | asha:R,ETA,MAX_TRIALS";

  /** A form: its argument names, the first {@code required} of them required. */
  private record Form(String name, List<String> args, int required) {
    Form(String name, List<String> args) {
      this(name, args, args.size());
    }

    String usage() {
      if (args.isEmpty()) {
        return name;
      }
      String opt = args.subList(required, args.size()).stream().map(a -> "[," + a).reduce("", String::concat)
          + "]".repeat(args.size() - required);
      return name + ":" + String.join(",", args.subList(0, required)) + opt;
    }

    String count() {
      int n = args.size();
      return (required == n ? Integer.toString(n) : required + " to " + n) + " argument" + (n == 1 ? "" : "s");
    }
  }

  private static final List<Form> KNOWN = List.of(
      new Form("grid", List.of()),
      new Form("random", List.of("N")),
      new Form("tpe", List.of("N", "STARTUP"), 1),
      new Form("hyperband", List.of("R", "ETA")),
      new Form("asha", List.of("R", "ETA", "MAX_TRIALS")));

  private Procedures() {}

  /**
   * @param text the procedure, e.g. {@code asha:4,2,8}; arguments may have spaces around them
   * @param space the search space
   * @param epochs epochs per config for {@code grid}, {@code random} and {@code tpe}
   * @param parallelism trials ASHA and TPE keep training per round (use the worker slots), {@code >= 1}
   * @param seed run seed (config sampling)
   * @param goal the selection goal
   * @return a fresh procedure
   * @throws IllegalArgumentException naming the text, the part at fault with its position and the
   *     valid forms (unknown name, wrong number of arguments, an argument that is not an integer), or
   *     the procedure's own message for an out-of-range value
   */
  public static Procedure parse(String text, SearchSpace space, int epochs, int parallelism, long seed, Goal goal) {
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(space, "space");
    Objects.requireNonNull(goal, "goal");
    int colon = text.indexOf(':');
    String name = colon < 0 ? text : text.substring(0, colon);
    Form form = KNOWN.stream().filter(f -> f.name().equals(name)).findFirst()
        .orElseThrow(() -> error(text, "unknown procedure '" + name + "' at position 0"));
    int[] a = arguments(text, form, colon);
    return switch (form.name()) {
      case "grid" -> FixedEpochs.grid(space, epochs, goal);
      case "random" -> FixedEpochs.random(space, a[0], epochs, seed, goal);
      case "tpe" -> new Tpe(space, a[0], a.length > 1 ? a[1] : Tpe.DEFAULT_STARTUP, epochs, parallelism, seed, goal);
      case "hyperband" -> new Hyperband(space, a[0], a[1], seed, goal);
      default -> new Asha(space, a[0], a[1], a[2], parallelism, seed, goal);
    };
  }

  private static int[] arguments(String text, Form form, int colon) {
    List<String> parts = new ArrayList<>();
    List<Integer> positions = new ArrayList<>();
    if (colon >= 0) {
      int start = colon + 1;
      for (int i = start; i <= text.length(); i++) {
        if (i == text.length() || text.charAt(i) == ',') {
          parts.add(text.substring(start, i));
          positions.add(start);
          start = i + 1;
        }
      }
    }
    String usage = form.usage();
    if (parts.size() < form.required() || parts.size() > form.args().size()) {
      throw error(text, form.name() + " takes " + form.count() + " (" + usage + "); found " + parts.size());
    }
    int[] out = new int[parts.size()];
    for (int i = 0; i < out.length; i++) {
      String p = parts.get(i).strip();
      try {
        out[i] = Integer.parseInt(p);
      } catch (NumberFormatException e) {
        throw error(text, "argument " + form.args().get(i) + " of " + usage + " at position " + positions.get(i)
            + " is '" + parts.get(i) + "', not an integer");
      }
    }
    return out;
  }

  private static IllegalArgumentException error(String text, String what) {
    return new IllegalArgumentException("procedure '" + text + "': " + what + "; valid forms: " + FORMS);
  }
}
