package org.argus.execution.fusion;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.argus.execution.transfer.TransferSpec;
import org.argus.plan.Pooling;
import org.argus.select.space.Domain;
import org.argus.select.space.SearchSpace;

/**
 * The materialization dimensions of a joint search space: the layers and poolings its configs can
 * draw ({@value FeatureViews#LAYER} and {@value FeatureViews#POOLING}, categorical). A space without
 * {@code layer} gets {@code layer=choice(<the transfer's layers>)}; one without {@code pooling} uses
 * the transfer's pooling.
 *
 * @param space the space the procedure draws from (with the added dimensions)
 * @param layers the layers to materialize, as named in the space
 * @param poolings the poolings to materialize, parsed, in the space's order
 * @param poolingNames each pooling's text as the space writes it (what a config holds)
 */
public record FusedSpace(SearchSpace space, List<String> layers, List<Pooling> poolings, List<String> poolingNames) {
  /** Copies the lists. */
  public FusedSpace {
    layers = List.copyOf(layers);
    poolings = List.copyOf(poolings);
    poolingNames = List.copyOf(poolingNames);
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
    return new FusedSpace(new SearchSpace(d), ls, poolings, names);
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
