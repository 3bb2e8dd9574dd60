package org.argus.surfaces.ml;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.evaluation.Evaluator;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamPair;
import org.apache.spark.ml.param.Params;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsReader$;
import org.apache.spark.ml.util.DefaultParamsWriter;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;

/**
 * Saves and loads a {@link ModelSelector}: Spark's params metadata, {@code estimator/} and {@code
 * evaluator/} with their own writers, and {@code argus/paramMaps.json} — per map, per param: the
 * owning stage's uid, the param name and the param's own JSON encoding ({@code Param.jsonEncode}),
 * as Spark's {@code CrossValidator} stores its maps.
 */
final class SelectorPersistence {
  private static final ObjectMapper JSON = new ObjectMapper();

  private SelectorPersistence() {}

  /** One param of a saved map. */
  record SavedParam(String parent, String name, String value) {}

  static final class Writer extends MLWriter {
    private final ModelSelector selector;

    Writer(ModelSelector selector) {
      this.selector = selector;
    }

    @Override
    public void saveImpl(String path) {
      DefaultParamsWriter.saveMetadata(selector, path, sparkSession());
      try {
        save(selector.getEstimator(), new Path(path, "estimator"), "estimator");
        save(selector.getEvaluator(), new Path(path, "evaluator"), "evaluator");
        List<List<SavedParam>> maps = new ArrayList<>();
        if (selector.getEstimatorParamMaps() != null) {
          for (ParamMap m : selector.getEstimatorParamMaps()) {
            List<SavedParam> ps = new ArrayList<>();
            for (ParamPair<?> pp : m.toList()) {
              ps.add(new SavedParam(pp.param().parent(), pp.param().name(), encode(pp)));
            }
            maps.add(ps);
          }
        }
        Path p = new Path(path, "argus/paramMaps.json");
        FileSystem fs = p.getFileSystem(sc().hadoopConfiguration());
        try (OutputStream out = fs.create(p, shouldOverwrite())) {
          out.write(JSON.writeValueAsBytes(selector.getEstimatorParamMaps() == null ? null : maps));
        }
      } catch (IOException e) {
        throw new IllegalStateException("cannot save model selector " + selector.uid() + " to " + path + ": "
            + e.getMessage(), e);
      }
    }

    @SuppressWarnings("unchecked")
    private static String encode(ParamPair<?> pp) {
      return ((Param<Object>) pp.param()).jsonEncode(pp.value());
    }

    private void save(Object stage, Path p, String what) throws IOException {
      if (!(stage instanceof MLWritable w)) {
        throw new IllegalStateException("the " + what + " " + (stage == null ? "(none)" : stage.getClass().getName())
            + " cannot be saved (not MLWritable)");
      }
      w.write().save(p.toString());
    }
  }

  static final class Reader extends MLReader<ModelSelector> {
    @Override
    public ModelSelector load(String path) {
      DefaultParamsReader<Params> params = new DefaultParamsReader<>();
      params.session(sparkSession());
      ModelSelector s = (ModelSelector) params.load(path);
      Estimator<?> estimator = DefaultParamsReader$.MODULE$.loadParamsInstance(new Path(path, "estimator").toString(),
          sparkSession());
      Evaluator evaluator = DefaultParamsReader$.MODULE$.loadParamsInstance(new Path(path, "evaluator").toString(),
          sparkSession());
      s.setEstimator(estimator).setEvaluator(evaluator);
      List<List<SavedParam>> maps;
      Path p = new Path(path, "argus/paramMaps.json");
      try {
        FileSystem fs = p.getFileSystem(sc().hadoopConfiguration());
        try (InputStream in = fs.open(p)) {
          maps = JSON.readValue(in, new TypeReference<List<List<SavedParam>>>() {});
        }
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read " + p + " (is this a saved ModelSelector?): " + e.getMessage(), e);
      }
      if (maps != null) {
        Map<String, Params> stages = stages(estimator);
        ParamMap[] out = new ParamMap[maps.size()];
        for (int i = 0; i < out.length; i++) {
          out[i] = new ParamMap();
          for (SavedParam sp : maps.get(i)) {
            Params owner = stages.get(sp.parent());
            if (owner == null || !owner.hasParam(sp.name())) {
              throw new IllegalArgumentException(p + ": param map " + i + " sets " + sp.parent() + "__" + sp.name()
                  + ", which the saved estimator does not have; its stages: " + stages.keySet());
            }
            @SuppressWarnings("unchecked")
            Param<Object> param = (Param<Object>) owner.getParam(sp.name());
            out[i].put(param, param.jsonDecode(sp.value()));
          }
        }
        s.setEstimatorParamMaps(out);
      }
      return s;
    }

    /** @return uid → stage, for the estimator and (for a pipeline) each of its stages */
    private static Map<String, Params> stages(Estimator<?> e) {
      Map<String, Params> m = new HashMap<>();
      m.put(e.uid(), e);
      if (e instanceof Pipeline p) {
        for (PipelineStage s : p.getStages()) {
          m.put(s.uid(), s);
        }
      }
      return m;
    }
  }
}
