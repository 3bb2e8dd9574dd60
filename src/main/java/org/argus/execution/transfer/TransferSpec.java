package org.argus.execution.transfer;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.argus.model.quantize.CalibrationSpec;
import org.argus.model.quantize.Precision;
import org.apache.spark.ml.Predictor;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.argus.model.roster.PreprocessingSpec;
import org.argus.plan.Pooling;
import org.argus.plan.cost.Overrides;
import org.argus.plan.cost.Resources;

/**
 * A declarative multi-layer feature-transfer job (Vista, SIGMOD 2020, §3 "declarative API"):
 * which images (and optional structured table), which CNN, which layers, how to pool, which
 * downstream learner, how to split, on what resources. Immutable; built with {@link #builder()}
 * ({@code set…} required, {@code opt…} optional) and validated in {@link Builder#build()}.
 *
 * <p>Exactly one image source: a DataFrame ({@code idCol}, {@code imageCol} Spark image struct,
 * optional {@code labelCol}, optional {@code split} column with values {@code train}/{@code test}),
 * an image folder (read with {@code ImageFolder}: id = file path, label = sub-folder name), or a
 * seeded Fashion-MNIST sample ({@code train} images of the official train split + {@code test} of
 * the test split; the official split is kept).
 *
 * @param images image DataFrame, or null
 * @param imageFolder image folder path, or null
 * @param fashionMnistTrain Fashion-MNIST training images (0 when not the source)
 * @param fashionMnistTest Fashion-MNIST test images
 * @param table structured table DataFrame, or null
 * @param tablePath CSV (header, inferred types) or Parquet path of the structured table, or null
 * @param idCol join key, present in both tables ({@code long} or {@code string})
 * @param imageCol image column of the image table
 * @param labelCol label column: taken from the structured table when there is one, else from the
 *     images; numeric or string (strings are indexed in sorted order)
 * @param featureCols structured feature columns X (numeric), concatenated to the CNN features
 * @param model roster name (e.g. {@code mobilenet_v2}) or the path of an ONNX file
 * @param preprocessing preprocessing for an ONNX file, or overriding a roster model's (null: the roster's)
 * @param inputSize square input size in pixels (0 = the model's native size)
 * @param layers explicit layers (any order), or empty to use {@code topK}
 * @param topK the top {@code k} of the roster's feature layers (when {@code layers} is empty)
 * @param poolings reductions of each conv activation, at least one, distinct (Vista default {@code
 *     [max:2]}); the first is the one the downstream learner trains on ({@link #pooling()}), the
 *     others are materialized beside it (one features column each) for fused model selection
 * @param precision the precision the CNN runs in ({@code int8}: calibrated on the training split)
 * @param calibration int8 calibration method, sample size and seed (used with {@code int8})
 * @param learner the downstream MLlib learner (copied per layer; its features/label columns are set)
 * @param paramGrid points of the learner's params to cross-validate (each bound to {@code
 *     learner}'s own params by name), or empty to use the learner as configured
 * @param folds k of k-fold cross-validation (Spark ML {@code CrossValidator}) on the training
 *     split, ≥ 2; 0 = no cross-validation (the learner is fitted once on the training split)
 * @param cvMetric the cross-validation metric, a {@code MulticlassClassificationEvaluator} metric
 *     name: {@code accuracy} or {@code f1} (Spark's label-weighted F1)
 * @param testFraction fraction of rows held out when there is no split column, in (0, 1)
 * @param seed seed of the hash split
 * @param resources the cluster budget, or null to detect it from the SparkContext
 * @param overrides decisions fixed by the user
 */
public record TransferSpec(
    Dataset<Row> images,
    String imageFolder,
    int fashionMnistTrain,
    int fashionMnistTest,
    Dataset<Row> table,
    String tablePath,
    String idCol,
    String imageCol,
    String labelCol,
    List<String> featureCols,
    String model,
    PreprocessingSpec preprocessing,
    int inputSize,
    List<String> layers,
    int topK,
    List<Pooling> poolings,
    Precision precision,
    CalibrationSpec calibration,
    Predictor<?, ?, ?> learner,
    List<ParamMap> paramGrid,
    int folds,
    String cvMetric,
    double testFraction,
    long seed,
    Resources resources,
    Overrides overrides) {

  /** The cross-validation metrics {@link Builder#optCvMetric} accepts. */
  public static final List<String> CV_METRICS = List.of("accuracy", "f1");


  /** Copies the lists (and each param map of the grid). */
  public TransferSpec {
    featureCols = List.copyOf(featureCols);
    layers = List.copyOf(layers);
    poolings = List.copyOf(poolings);
    if (poolings.isEmpty() || new java.util.HashSet<>(poolings).size() != poolings.size()) {
      throw new IllegalArgumentException("poolings must be non-empty and distinct; found " + poolings);
    }
    paramGrid = paramGrid.stream().map(ParamMap::copy).toList();
  }

  /**
   * @param names explicit layers
   * @return this spec with the given layers instead of its own (or its top k)
   */
  public TransferSpec withLayers(List<String> names) {
    return new TransferSpec(images, imageFolder, fashionMnistTrain, fashionMnistTest, table, tablePath, idCol,
        imageCol, labelCol, featureCols, model, preprocessing, inputSize, names, 0, poolings, precision, calibration, learner, paramGrid,
        folds, cvMetric, testFraction, seed, resources, overrides);
  }

  /**
   * The same images, table, split, poolings and plan settings over another CNN (fused selection's
   * {@code model} dimension).
   *
   * @param name a roster model or ONNX file
   * @param pre its preprocessing (required for an ONNX file; null: the roster's)
   * @param size square input size in pixels (0: the model's native size)
   * @param k its top {@code k} feature layers (explicit layers are model-specific and dropped)
   * @return this spec over {@code name}
   */
  public TransferSpec withModel(String name, PreprocessingSpec pre, int size, int k) {
    return new TransferSpec(images, imageFolder, fashionMnistTrain, fashionMnistTest, table, tablePath, idCol,
        imageCol, labelCol, featureCols, name, pre, size, List.of(), k, poolings, precision, calibration,
        learner, paramGrid, folds, cvMetric, testFraction, seed, resources, overrides);
  }

  /**
   * @param p a precision
   * @return this spec running the CNN in {@code p} (same calibration settings)
   */
  public TransferSpec withPrecision(Precision p) {
    return new TransferSpec(images, imageFolder, fashionMnistTrain, fashionMnistTest, table, tablePath, idCol,
        imageCol, labelCol, featureCols, model, preprocessing, inputSize, layers, topK, poolings, p, calibration,
        learner, paramGrid, folds, cvMetric, testFraction, seed, resources, overrides);
  }

  /** @return the pooling the downstream learner trains on: the first of {@link #poolings()} */
  public Pooling pooling() {
    return poolings.get(0);
  }

  /**
   * @param ps poolings to materialize (the first is the learner's)
   * @return this spec with those poolings
   * @throws IllegalArgumentException if {@code ps} is empty or has duplicates
   */
  public TransferSpec withPoolings(List<Pooling> ps) {
    return new TransferSpec(images, imageFolder, fashionMnistTrain, fashionMnistTest, table, tablePath, idCol,
        imageCol, labelCol, featureCols, model, preprocessing, inputSize, layers, topK, ps, precision, calibration,
        learner, paramGrid, folds, cvMetric, testFraction, seed, resources, overrides);
  }

  /** @return true when the downstream learner is chosen by k-fold cross-validation */
  public boolean crossValidates() {
    return folds >= 2;
  }

  /** @return a builder with the defaults (pooling max:2, LR, 20 % test, seed 42, no overrides) */
  public static Builder builder() {
    return new Builder();
  }

  /** @return true when a structured table is joined */
  public boolean hasTable() {
    return table != null || tablePath != null;
  }

  /**
   * Every setting of the spec as printable text, in a stable order, defaults included (the spec's
   * provenance record). DataFrames given in memory are described by their schema.
   *
   * @return setting name → value
   */
  public java.util.Map<String, String> describe() {
    java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
    if (images != null) {
      m.put("images", "DataFrame " + images.schema().simpleString());
    } else if (imageFolder != null) {
      m.put("images", "folder " + imageFolder);
    } else {
      m.put("images", "fashion-mnist train " + fashionMnistTrain + " / test " + fashionMnistTest);
    }
    m.put("table", table != null ? "DataFrame " + table.schema().simpleString() : String.valueOf(tablePath));
    m.put("id_col", idCol);
    m.put("image_col", imageCol);
    m.put("label_col", labelCol);
    m.put("feature_cols", String.join(",", featureCols));
    m.put("model", model);
    m.put("preprocessing", preprocessing == null ? "roster" : preprocessing.compact());
    m.put("input_size", inputSize == 0 ? "native" : Integer.toString(inputSize));
    m.put("layers", layers.isEmpty() ? "top " + topK : String.join(",", layers));
    m.put("pooling", poolings.size() == 1 ? poolings.get(0).toString()
        : String.join(",", poolings.stream().map(Pooling::toString).toList()));
    m.put("precision", precision.paramValue());
    if (precision == Precision.INT8) {
      m.put("calibration", calibration.toString());
    }
    m.put("learner", learner.getClass().getSimpleName() + " " + LearnerParams.describe(learner));
    m.put("param_grid", paramGrid.stream().map(LearnerParams::describe).toList().toString());
    m.put("cv_folds", Integer.toString(folds));
    m.put("cv_metric", cvMetric);
    m.put("test_fraction", Double.toString(testFraction));
    m.put("seed", Long.toString(seed));
    m.put("resources", resources == null ? "detected" : resources.toString());
    m.put("overrides", overrides.toString());
    return m;
  }

  /** Builder of {@link TransferSpec}. */
  public static final class Builder {
    private Dataset<Row> images;
    private String imageFolder;
    private int fmTrain;
    private int fmTest;
    private Dataset<Row> table;
    private String tablePath;
    private String idCol = "id";
    private String imageCol = "image";
    private String labelCol = "label";
    private List<String> featureCols = List.of();
    private String model;
    private PreprocessingSpec preprocessing;
    private int inputSize;
    private List<String> layers = List.of();
    private int topK;
    private List<Pooling> poolings = List.of(Pooling.VISTA_DEFAULT);
    private Precision precision = Precision.FP32;
    private CalibrationSpec calibration = CalibrationSpec.defaults();
    private Predictor<?, ?, ?> learner;
    private List<ParamMap> paramGrid = List.of();
    private int folds;
    private String cvMetric = "accuracy";
    private double testFraction = 0.2;
    private long seed = 42;
    private Resources resources;
    private Overrides overrides = Overrides.NONE;

    private Builder() {}

    /** @param df images with {@code idCol}, {@code imageCol} (Spark image struct) [, labelCol, split] */
    public Builder setImages(Dataset<Row> df) {
      this.images = Objects.requireNonNull(df, "df");
      return this;
    }

    /** @param path image folder (sub-folder name = label) */
    public Builder setImageFolder(String path) {
      this.imageFolder = Objects.requireNonNull(path, "path");
      return this;
    }

    /**
     * @param train images drawn from the official train split (seeded by {@link #optSeed})
     * @param test images drawn from the official test split
     */
    public Builder setFashionMnist(int train, int test) {
      this.fmTrain = train;
      this.fmTest = test;
      return this;
    }

    /** @param name roster name or ONNX file path */
    public Builder setModel(String name) {
      this.model = Objects.requireNonNull(name, "name");
      return this;
    }

    /** @param spec preprocessing (required for an ONNX file path; for a roster model it overrides the roster's) */
    public Builder optPreprocessing(PreprocessingSpec spec) {
      this.preprocessing = spec;
      return this;
    }

    /** @param size square input size in pixels (≥ the model's minimum) */
    public Builder optInputSize(int size) {
      this.inputSize = size;
      return this;
    }

    /** @param names explicit layers (any order; sorted to topological order) */
    public Builder setLayers(List<String> names) {
      this.layers = List.copyOf(names);
      return this;
    }

    /** @param k use the top {@code k} of the roster model's feature layers */
    public Builder setTopLayers(int k) {
      this.topK = k;
      return this;
    }

    /** @param df structured table with {@code idCol}, {@code labelCol} and the feature columns */
    public Builder optTable(Dataset<Row> df) {
      this.table = df;
      return this;
    }

    /** @param path CSV (header) or Parquet file/folder of the structured table */
    public Builder optTablePath(String path) {
      this.tablePath = path;
      return this;
    }

    /** @param cols structured feature columns X (numeric) */
    public Builder optFeatureCols(List<String> cols) {
      this.featureCols = List.copyOf(cols);
      return this;
    }

    /** @param col join key (default {@code id}) */
    public Builder optIdCol(String col) {
      this.idCol = Objects.requireNonNull(col, "col");
      return this;
    }

    /** @param col image column (default {@code image}) */
    public Builder optImageCol(String col) {
      this.imageCol = Objects.requireNonNull(col, "col");
      return this;
    }

    /** @param col label column (default {@code label}) */
    public Builder optLabelCol(String col) {
      this.labelCol = Objects.requireNonNull(col, "col");
      return this;
    }

    /** @param p precision of the CNN (default fp32) */
    public Builder optPrecision(Precision p) {
      this.precision = Objects.requireNonNull(p, "p");
      return this;
    }

    /** @param c int8 calibration (default min/max on 256 training images, seed 42) */
    public Builder optCalibration(CalibrationSpec c) {
      this.calibration = Objects.requireNonNull(c, "c");
      return this;
    }

    /** @param p pooling (default {@code max:2}) */
    public Builder optPooling(Pooling p) {
      this.poolings = List.of(Objects.requireNonNull(p, "p"));
      return this;
    }

    /**
     * @param ps poolings to materialize, distinct; the first is the downstream learner's (fused
     *     selection materializes every one as its own features column)
     */
    public Builder optPoolings(List<Pooling> ps) {
      this.poolings = List.copyOf(ps);
      return this;
    }

    /** @param l any MLlib classifier (default: multinomial LogisticRegression, 100 iterations, regParam 1e-3) */
    public Builder optLearner(Predictor<?, ?, ?> l) {
      this.learner = l;
      return this;
    }

    /**
     * Cross-validates the downstream learner over a grid of its params (Spark ML {@code
     * CrossValidator}; e.g. built with {@code ParamGridBuilder}). Each param is matched to the
     * learner's own param by name, so the grid may be built on another instance of the same
     * learner class. Without {@link #optFolds} the folds default to Spark's 3.
     *
     * @param grid the points to try (at least one; a point may be an empty map)
     */
    public Builder optParamGrid(ParamMap... grid) {
      this.paramGrid = List.of(grid.clone());
      return this;
    }

    /**
     * @param k folds of k-fold cross-validation on the training split (≥ 2), or 0 for none (the
     *     default). Fold {@code f} holds the training rows whose {@code xxhash64(id, seed, "fold")}
     *     is {@code f} modulo k, so folds do not depend on the plan or the partitioning.
     */
    public Builder optFolds(int k) {
      this.folds = k;
      return this;
    }

    /** @param metric the cross-validation metric: {@code accuracy} (default) or {@code f1} */
    public Builder optCvMetric(String metric) {
      this.cvMetric = Objects.requireNonNull(metric, "metric");
      return this;
    }

    /** @param f held-out fraction in (0, 1) when there is no split column (default 0.2) */
    public Builder optTestFraction(double f) {
      this.testFraction = f;
      return this;
    }

    /** @param s seed of the sample and the split (default 42) */
    public Builder optSeed(long s) {
      this.seed = s;
      return this;
    }

    /** @param r resources (default: detected from the SparkContext) */
    public Builder optResources(Resources r) {
      this.resources = r;
      return this;
    }

    /** @param o decisions fixed by the user (default none) */
    public Builder optOverrides(Overrides o) {
      this.overrides = Objects.requireNonNull(o, "o");
      return this;
    }

    /**
     * @return the spec
     * @throws IllegalArgumentException when there is not exactly one image source, no model, both
     *     or neither of explicit layers and top-k, a test fraction outside (0, 1), Fashion-MNIST
     *     counts below 10, an ONNX path without preprocessing, a negative input size, folds of 1 or
     *     below 0, an unknown cross-validation metric, or a param grid point naming a param the
     *     learner does not have (or one Argus sets: features, label, prediction column) or holding a
     *     value the param rejects
     */
    public TransferSpec build() {
      int sources = (images != null ? 1 : 0) + (imageFolder != null ? 1 : 0) + (fmTrain > 0 || fmTest > 0 ? 1 : 0);
      if (sources != 1) {
        throw new IllegalArgumentException(
            "give exactly one image source (images DataFrame, image folder or Fashion-MNIST), found " + sources);
      }
      if (fmTrain > 0 || fmTest > 0) {
        if (fmTrain < 10 || fmTest < 10) {
          throw new IllegalArgumentException(
              "Fashion-MNIST train and test must be at least 10 images, found " + fmTrain + " and " + fmTest);
        }
      }
      if (model == null) {
        throw new IllegalArgumentException("a model is required: a roster name or an ONNX file path");
      }
      if (layers.isEmpty() == (topK <= 0)) {
        throw new IllegalArgumentException(
            "give either explicit layers or top k (k ≥ 1), found layers " + layers + " and k = " + topK);
      }
      if (!(testFraction > 0 && testFraction < 1)) {
        throw new IllegalArgumentException("test fraction must be in (0, 1), found " + testFraction);
      }
      if (inputSize < 0) {
        throw new IllegalArgumentException("input size must be ≥ 1 (or 0 for native), found " + inputSize);
      }
      if (table != null && tablePath != null) {
        throw new IllegalArgumentException("give the structured table as a DataFrame or a path, not both");
      }
      if (model.endsWith(".onnx") && preprocessing == null) {
        throw new IllegalArgumentException(
            "ONNX file model " + model + " needs a preprocessing spec, e.g. 224:rgb:tf:nhwc");
      }
      Predictor<?, ?, ?> l = learner != null ? learner
          : new LogisticRegression().setMaxIter(100).setRegParam(1e-3).setFamily("multinomial");
      if (folds < 0 || folds == 1) {
        throw new IllegalArgumentException(
            "cross-validation folds must be ≥ 2 (or 0 for no cross-validation), found " + folds);
      }
      if (!CV_METRICS.contains(cvMetric)) {
        throw new IllegalArgumentException(
            "unknown cross-validation metric '" + cvMetric + "'; valid: " + String.join(", ", CV_METRICS));
      }
      List<ParamMap> grid = new ArrayList<>();
      for (ParamMap point : paramGrid) {
        grid.add(LearnerParams.bind(Objects.requireNonNull(point, "a param grid point"), l));
      }
      int k = folds == 0 && !grid.isEmpty() ? 3 : folds;
      return new TransferSpec(images, imageFolder, fmTrain, fmTest, table, tablePath, idCol, imageCol,
          labelCol, featureCols, model, preprocessing, inputSize, layers, topK, poolings, precision, calibration, l, grid, k,
          cvMetric, testFraction, seed, resources, overrides);
    }
  }

}
