package org.argus.execution.fusion;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.argus.runtime.train.Hyperparameters;

/**
 * Where each materialized (layer, pooling) feature column lies in a shard row. A row's {@code x} is
 * {@code [view 0 | view 1 | … | view k−1 | structured]} float32: every view's pooled CNN features,
 * bottom layer first and poolings in the run's order, then the structured columns. The head of a
 * config reads one view and the structured columns: {@code [dim + structuredDim]}.
 *
 * @param views the views, in row order
 * @param structuredDim structured columns appended to every view (0 without a table)
 */
public record FeatureViews(List<View> views, int structuredDim) implements Serializable {
  /** The search-space dimension naming the CNN layer. */
  public static final String LAYER = "layer";
  /** The search-space dimension naming the pooling. */
  public static final String POOLING = "pooling";
  /** The search-space dimension naming the precision the CNN ran in ({@code fp32} or {@code int8}). */
  public static final String PRECISION = "precision";
  /** The search-space dimension naming the CNN (folded into {@link #LAYER}: {@code LAYER@MODEL}). */
  public static final String MODEL = "model";

  /**
   * @param layer a CNN layer
   * @param model its CNN
   * @return {@code layer@model}, the {@code layer} value of a run over several CNNs
   */
  public static String qualified(String layer, String model) {
    return layer + "@" + model;
  }

  /**
   * @param layer a {@code layer} value
   * @return the CNN a {@code LAYER@MODEL} value names (after its first {@code @}), or null when
   *     unqualified
   */
  public static String modelOf(String layer) {
    int at = layer.indexOf('@');
    return at < 0 ? null : layer.substring(at + 1);
  }

  /**
   * @param layer a {@code layer} value
   * @return the CNN's own tensor name: {@code LAYER} of {@code LAYER@MODEL}, or the value itself
   */
  public static String layerOf(String layer) {
    int at = layer.indexOf('@');
    return at < 0 ? layer : layer.substring(0, at);
  }

  /**
   * One (layer, pooling, precision) feature column in the row.
   *
   * @param layer CNN layer
   * @param pooling pooling in canonical text ({@code max:2}, {@code avg})
   * @param offset first float of the view in the row
   * @param dim floats of the view
   * @param precision the precision the CNN ran in: {@code fp32} or {@code int8}
   */
  public record View(String layer, String pooling, int offset, int dim, String precision) implements Serializable {
    /** A view of an fp32 CNN. */
    public View(String layer, String pooling, int offset, int dim) {
      this(layer, pooling, offset, dim, "fp32");
    }
  }

  /** Copies the list; checks the views tile {@code [0, Σ dim)} in order. */
  public FeatureViews {
    views = List.copyOf(views);
    if (views.isEmpty()) {
      throw new IllegalArgumentException("feature views need at least one view");
    }
    int at = 0;
    for (View v : views) {
      if (v.offset() != at || v.dim() < 1) {
        throw new IllegalArgumentException("view " + v + " does not start at " + at + " or is empty");
      }
      at += v.dim();
    }
    if (structuredDim < 0) {
      throw new IllegalArgumentException("structuredDim must be >= 0; found " + structuredDim);
    }
  }

  /** @return floats per row: every view plus the structured columns */
  public int rowDim() {
    View last = views.get(views.size() - 1);
    return last.offset() + last.dim() + structuredDim;
  }

  /** @return distinct layers, in row order */
  public List<String> layers() {
    return views.stream().map(View::layer).distinct().toList();
  }

  /** @return distinct poolings, in row order */
  public List<String> poolings() {
    return views.stream().map(View::pooling).distinct().toList();
  }

  /** @return distinct precisions, in row order */
  public List<String> precisions() {
    return views.stream().map(View::precision).distinct().toList();
  }

  /**
   * The view a config reads: its {@value #LAYER}, {@value #POOLING} and {@value #PRECISION}
   * values; a dimension the config lacks must have a single value in the run.
   *
   * @param config the config's hyperparameters
   * @return the view
   * @throws IllegalArgumentException when the config names a layer or pooling that was not
   *     materialized, or lacks a dimension that has several values (listing the valid ones)
   */
  public View view(Hyperparameters config) {
    String layer = pick(config, LAYER, layers());
    String pooling = pick(config, POOLING, poolings());
    String precision = pick(config, PRECISION, precisions());
    for (View v : views) {
      if (v.layer().equals(layer) && v.pooling().equals(pooling) && v.precision().equals(precision)) {
        return v;
      }
    }
    throw new IllegalArgumentException("no materialized view (layer " + layer + ", pooling " + pooling
        + ", precision " + precision + ") for config " + config + "; materialized: " + describe());
  }

  private static String pick(Hyperparameters config, String name, List<String> valid) {
    String v = config.getString(name, null);
    if (v == null) {
      if (valid.size() == 1) {
        return valid.get(0);
      }
      throw new IllegalArgumentException("config " + config + " has no '" + name + "' but the run materialized "
          + valid.size() + ": " + valid);
    }
    if (!valid.contains(v)) {
      throw new IllegalArgumentException("config " + config + ": " + name + " '" + v + "' was not materialized; valid: "
          + valid);
    }
    return v;
  }

  /**
   * @param x one row ({@link #rowDim()} floats)
   * @param v a view of this layout
   * @return the view's features then the structured columns ({@code v.dim + structuredDim} floats)
   */
  public float[] slice(float[] x, View v) {
    float[] out = new float[v.dim() + structuredDim];
    System.arraycopy(x, v.offset(), out, 0, v.dim());
    System.arraycopy(x, rowDim() - structuredDim, out, v.dim(), structuredDim);
    return out;
  }

  /**
   * @param x {@code [n, rowDim]} float32 row-major
   * @param n rows
   * @param v a view of this layout
   * @return {@code [n, v.dim + structuredDim]} float32 row-major: each row's view, then its
   *     structured columns
   * @throws IllegalArgumentException if {@code x} does not hold {@code n} rows of {@link #rowDim()}
   */
  public float[] slice(float[] x, int n, View v) {
    int row = rowDim();
    if (x.length != (long) n * row) {
      throw new IllegalArgumentException("batch of " + x.length + " floats is not " + n + " rows of " + row
          + " (views " + describe() + ")");
    }
    int w = v.dim() + structuredDim;
    float[] out = new float[n * w];
    for (int i = 0; i < n; i++) {
      System.arraycopy(x, i * row + v.offset(), out, i * w, v.dim());
      System.arraycopy(x, i * row + row - structuredDim, out, i * w + v.dim(), structuredDim);
    }
    return out;
  }

  /**
   * @return {@code layer/pooling [dim]} per view, e.g. {@code [out_relu/max:2 [5120], …]} ({@code
   *     layer/pooling/precision [dim]} when the views have several precisions)
   */
  public String describe() {
    List<String> parts = new ArrayList<>();
    boolean precisions = precisions().size() > 1;
    for (View v : views) {
      parts.add(v.layer() + "/" + v.pooling() + (precisions ? "/" + v.precision() : "") + " [" + v.dim() + "]");
    }
    return parts + (structuredDim > 0 ? " + " + structuredDim + " structured" : "");
  }
}
