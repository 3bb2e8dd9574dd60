package org.argus.execution.fusion;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.argus.execution.transfer.TransferSpec;
import org.argus.model.quantize.Precision;
import org.argus.plan.Pooling;
import org.argus.select.space.Domain;
import org.argus.select.space.SearchSpace;

/**
 * The materialization dimensions of a joint search space: the CNNs, layers and poolings its configs
 * can draw ({@value FeatureViews#MODEL}, {@value FeatureViews#LAYER} and {@value
 * FeatureViews#POOLING}, categorical). A space without {@code layer} gets {@code layer=choice(<the
 * transfer's layers>)}; one without {@code pooling} uses the transfer's pooling.
 *
 * <p>Several CNNs: a {@code model=choice(a,b)} dimension is folded into {@code layer}, whose values
 * then name their model, {@code LAYER@MODEL} ({@link FeatureViews#qualified}); a config draws one
 * (model, layer) pair, never a layer its model lacks, and Hyperband/ASHA can drop a whole model
 * early. A space with {@code model} and no {@code layer} draws among each model's top feature layers.
 *
 * <p>Precision: a {@code precision=choice(fp32,int8)} dimension is independent of the others (every
 * layer exists in every precision): each CNN is materialized once per precision (int8: calibrated
 * static quantization, {@code model.quantize}) and a config reads the view of its (layer, pooling,
 * precision).
 *
 * @param space the space the procedure draws from (with the added dimensions; {@code model} folded
 *     into {@code layer})
 * @param models the CNNs, in the space's order (empty: the transfer's one model, layers unqualified)
 * @param layers the layers to materialize, as named in the space ({@code LAYER@MODEL} with models)
 * @param poolings the poolings to materialize, parsed, in the space's order
 * @param poolingNames each pooling's text as the space writes it (what a config holds)
 * @param precisions the precisions of a {@code precision=choice(fp32,int8)} dimension, in the
 *     space's order (empty without one: the transfer's precision); each CNN is materialized once
 *     per precision
 */
public record FusedSpace(SearchSpace space, List<String> models, List<String> layers, List<Pooling> poolings,
    List<String> poolingNames, List<Precision> precisions) {
  /** Copies the lists. */
  public FusedSpace {
    models = List.copyOf(models);
    layers = List.copyOf(layers);
    poolings = List.copyOf(poolings);
    poolingNames = List.copyOf(poolingNames);
    precisions = List.copyOf(precisions);
  }

  /**
   * @param space a user's space
   * @return its {@code precision} dimension's values, parsed, in order (empty without one)
   * @throws IllegalArgumentException when {@code precision} is not a {@code choice(...)} of
   *     distinct names, or names a precision other than {@code fp32}/{@code int8} (listing them)
   */
  public static List<Precision> precisions(SearchSpace space) {
    Domain d = space.domains().get(FeatureViews.PRECISION);
    if (d == null) {
      return List.of();
    }
    List<Precision> out = new ArrayList<>();
    for (String n : names(d, FeatureViews.PRECISION)) {
      Precision p = Precision.parse(n);
      if (!p.paramValue().equals(n)) {
        throw new IllegalArgumentException("precision '" + n + "' in " + d + ": write it as '" + p.paramValue()
            + "' (the name configs and views hold)");
      }
      out.add(p);
    }
    return out;
  }

  /**
   * @param space a user's space
   * @return its {@code model} dimension's values, in order (empty without one)
   * @throws IllegalArgumentException when {@code model} is not a {@code choice(...)} of distinct names
   */
  public static List<String> models(SearchSpace space) {
    Domain d = space.domains().get(FeatureViews.MODEL);
    return d == null ? List.of() : names(d, FeatureViews.MODEL);
  }

  /**
   * The layers a space with a {@code model} dimension names for each model.
   *
   * @param space a user's space with {@code model}
   * @return per model (the space's order), its layers as the space names them ({@code LAYER@MODEL}
   *     values of {@code layer}, in order); null when the space has no {@code layer} dimension
   * @throws IllegalArgumentException when a {@code layer} value names no model of the space or is
   *     not qualified, or a model gets no layer (listing the valid models)
   */
  public static Map<String, List<String>> layersByModel(SearchSpace space) {
    List<String> models = models(space);
    Domain d = space.domains().get(FeatureViews.LAYER);
    if (d == null) {
      return null;
    }
    Map<String, List<String>> out = new LinkedHashMap<>();
    models.forEach(m -> out.put(m, new ArrayList<>()));
    for (String v : names(d, FeatureViews.LAYER)) {
      String m = FeatureViews.modelOf(v);
      if (m == null || !out.containsKey(m)) {
        throw new IllegalArgumentException("layer '" + v + "': with a 'model' dimension every layer value names its "
            + "model as LAYER@MODEL, MODEL one of " + models + " (e.g. '" + v.split("@")[0] + "@" + models.get(0) + "')");
      }
      out.get(m).add(FeatureViews.layerOf(v));
    }
    out.forEach((m, ls) -> {
      if (ls.isEmpty()) {
        throw new IllegalArgumentException("model '" + m + "' has no layer in " + d + "; name at least one as LAYER@" + m
            + ", or drop it from 'model'");
      }
    });
    return out;
  }

  /**
   * The dimensions of a space over several CNNs: {@code model} folded into {@code layer}.
   *
   * @param space the user's space, with {@code model}
   * @param layers per model, the layers materialized for it (unqualified, bottom first)
   * @param pooling the pooling a space without {@code pooling} uses
   * @return the dimensions; {@link #layers()} are {@code LAYER@MODEL}, model by model
   * @throws IllegalArgumentException as {@link #of(SearchSpace, List, Pooling)}
   */
  public static FusedSpace ofModels(SearchSpace space, Map<String, List<String>> layers, Pooling pooling) {
    List<String> qualified = new ArrayList<>();
    layers.forEach((m, ls) -> ls.forEach(l -> qualified.add(FeatureViews.qualified(l, m))));
    Map<String, Domain> d = new LinkedHashMap<>(space.domains());
    d.remove(FeatureViews.MODEL);
    d.put(FeatureViews.LAYER, new Domain.Choice(new ArrayList<>(qualified)));
    FusedSpace one = of(new SearchSpace(d), qualified, pooling);
    return new FusedSpace(one.space(), new ArrayList<>(layers.keySet()), qualified, one.poolings(), one.poolingNames(),
        one.precisions());
  }

  /**
   * @param space the user's space (training hyperparameters, optionally {@code layer}/{@code pooling})
   * @param transfer the transfer spec (its explicit layers stand in for a missing {@code layer}, its
   *     pooling for a missing {@code pooling})
   * @return the materialization dimensions
   * @throws IllegalArgumentException when {@code layer} or {@code pooling} is not a {@code
   *     choice(...)} of names, a pooling does not parse or two poolings are the same, or the space
   *     has no {@code layer} and the transfer names no explicit layers
   */
  public static FusedSpace of(SearchSpace space, TransferSpec transfer) {
    if (!space.domains().containsKey(FeatureViews.LAYER) && transfer.layers().isEmpty()) {
      throw new IllegalArgumentException("fused selection needs layers: a 'layer=choice(...)' dimension in the space "
          + "or explicit layers (--layers); the space is " + space);
    }
    return of(space, transfer.layers(), transfer.pooling());
  }

  /**
   * @param space the user's space
   * @param layers the layers a space without {@code layer} gets ({@code layer=choice(layers)})
   * @param pooling the pooling a space without {@code pooling} uses
   * @return the materialization dimensions
   * @throws IllegalArgumentException as {@link #of(SearchSpace, TransferSpec)}
   */
  public static FusedSpace of(SearchSpace space, List<String> layers, Pooling pooling) {
    Map<String, Domain> d = new LinkedHashMap<>(space.domains());
    List<String> ls;
    if (d.containsKey(FeatureViews.LAYER)) {
      ls = names(d.get(FeatureViews.LAYER), FeatureViews.LAYER);
    } else {
      ls = List.copyOf(layers);
      d.put(FeatureViews.LAYER, new Domain.Choice(new ArrayList<>(ls)));
    }
    List<String> names;
    List<Pooling> poolings = new ArrayList<>();
    if (d.containsKey(FeatureViews.POOLING)) {
      names = names(d.get(FeatureViews.POOLING), FeatureViews.POOLING);
      for (String n : names) {
        Pooling p = Pooling.parse(n);
        int at = poolings.indexOf(p);
        if (at >= 0) {
          throw new IllegalArgumentException("pooling '" + n + "' is the same pooling as '" + names.get(at)
              + "' in " + d.get(FeatureViews.POOLING) + "; list each pooling once");
        }
        poolings.add(p);
      }
    } else {
      names = List.of(pooling.toString());
      poolings.add(pooling);
    }
    return new FusedSpace(new SearchSpace(d), List.of(), ls, poolings, names, precisions(space));
  }

  private static List<String> names(Domain domain, String dim) {
    if (!(domain instanceof Domain.Choice c)) {
      throw new IllegalArgumentException("'" + dim + "' must be a categorical choice(...) of names; found " + domain);
    }
    List<String> out = new ArrayList<>();
    for (Object v : c.values()) {
      if (!(v instanceof String s)) {
        throw new IllegalArgumentException("'" + dim + "' values must be names; found " + v + " in " + domain);
      }
      if (out.contains(s)) {
        throw new IllegalArgumentException("'" + dim + "' lists '" + s + "' twice in " + domain);
      }
      out.add(s);
    }
    return out;
  }

  /**
   * @param p a pooling of {@link #poolings()}
   * @return its name in the space
   */
  String nameOf(Pooling p) {
    return poolingNames.get(poolings.indexOf(p));
  }
}
