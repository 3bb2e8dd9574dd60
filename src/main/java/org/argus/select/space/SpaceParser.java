package org.argus.select.space;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Recursive-descent parser for {@link SearchSpace#parse(String)}. */
final class SpaceParser {
  private final String s;
  private int p;

  SpaceParser(String s) {
    this.s = s;
  }

  SearchSpace parse() {
    skip();
    if (p >= s.length()) {
      throw err("empty search space (expected name=fn(...))");
    }
    Map<String, Domain> out = new LinkedHashMap<>();
    while (true) {
      skip();
      if (p >= s.length()) {
        break;
      }
      int nameAt = p;
      String name = ident();
      if (name.isEmpty()) {
        throw err("expected a hyperparameter name");
      }
      if (out.containsKey(name)) {
        throw new SpaceParseException(s, nameAt, "duplicate hyperparameter '" + name + "'");
      }
      skip();
      expect('=');
      skip();
      out.put(name, domain());
      skip();
      if (p >= s.length()) {
        break;
      }
      expect(';');
    }
    return new SearchSpace(out);
  }

  private Domain domain() {
    int at = p;
    String fn = ident();
    skip();
    if (fn.isEmpty() || p >= s.length() || s.charAt(p) != '(') {
      // bare value: name=v
      p = at;
      Object v = value();
      return new Domain.Choice(List.of(v));
    }
    p++;
    List<Object> args = new ArrayList<>();
    List<Integer> argAt = new ArrayList<>();
    skip();
    if (p < s.length() && s.charAt(p) == ')') {
      p++;
    } else {
      while (true) {
        skip();
        argAt.add(p);
        args.add(value());
        skip();
        if (p < s.length() && s.charAt(p) == ',') {
          p++;
          continue;
        }
        expect(')');
        break;
      }
    }
    try {
      return switch (fn) {
        case "choice" -> new Domain.Choice(args);
        case "uniform" -> {
          arity(fn, args, 2, at);
          yield new Domain.Uniform(num(args, argAt, 0), num(args, argAt, 1));
        }
        case "loguniform" -> {
          arity(fn, args, 2, at);
          yield new Domain.LogUniform(num(args, argAt, 0), num(args, argAt, 1));
        }
        case "quniform" -> {
          arity(fn, args, 3, at);
          yield new Domain.QUniform(num(args, argAt, 0), num(args, argAt, 1), num(args, argAt, 2));
        }
        case "randint" -> {
          arity(fn, args, 2, at);
          yield new Domain.RandInt(
              (long) num(args, argAt, 0), (long) num(args, argAt, 1));
        }
        default ->
            throw new SpaceParseException(
                s,
                at,
                "unknown function '"
                    + fn
                    + "' (valid: choice, uniform, loguniform, quniform, randint)");
      };
    } catch (SpaceParseException e) {
      throw e;
    } catch (IllegalArgumentException e) {
      throw new SpaceParseException(s, at, e.getMessage());
    }
  }

  private void arity(String fn, List<Object> args, int n, int at) {
    if (args.size() != n) {
      throw new SpaceParseException(
          s, at, fn + " takes " + n + " arguments; found " + args.size());
    }
  }

  private double num(List<Object> args, List<Integer> at, int i) {
    if (args.get(i) instanceof Number n) {
      return n.doubleValue();
    }
    throw new SpaceParseException(s, at.get(i), "expected a number; found '" + args.get(i) + "'");
  }

  private Object value() {
    skip();
    if (p >= s.length()) {
      throw err("expected a value");
    }
    char c = s.charAt(p);
    if (c == '"' || c == '\'') {
      int end = s.indexOf(c, p + 1);
      if (end < 0) {
        throw err("unterminated string");
      }
      String v = s.substring(p + 1, end);
      p = end + 1;
      return v;
    }
    int start = p;
    while (p < s.length() && "(),;= \t".indexOf(s.charAt(p)) < 0) {
      p++;
    }
    String tok = s.substring(start, p);
    if (tok.isEmpty()) {
      throw err("expected a value");
    }
    if (tok.matches("[+-]?\\d+")) {
      try {
        return Long.parseLong(tok);
      } catch (NumberFormatException e) {
        throw new SpaceParseException(s, start, "integer out of range '" + tok + "'");
      }
    }
    if (tok.matches("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?")) {
      return Double.parseDouble(tok);
    }
    if (Character.isDigit(tok.charAt(0)) || tok.charAt(0) == '-' || tok.charAt(0) == '.') {
      throw new SpaceParseException(s, start, "malformed number '" + tok + "'");
    }
    return tok;
  }

  private String ident() {
    int start = p;
    while (p < s.length()
        && (Character.isLetterOrDigit(s.charAt(p)) || s.charAt(p) == '_' || s.charAt(p) == '.')) {
      p++;
    }
    return s.substring(start, p);
  }

  private void expect(char c) {
    if (p >= s.length() || s.charAt(p) != c) {
      throw err(
          "expected '"
              + c
              + "'; found "
              + (p >= s.length() ? "end of input" : "'" + s.charAt(p) + "'"));
    }
    p++;
  }

  private void skip() {
    while (p < s.length() && Character.isWhitespace(s.charAt(p))) {
      p++;
    }
  }

  private SpaceParseException err(String what) {
    return new SpaceParseException(s, p, what);
  }
}
