package org.argus.model.roster;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.argus.model.roster.PreprocessingSpec.ChannelOrder;
import org.argus.model.roster.PreprocessingSpec.Layout;
import org.argus.model.roster.PreprocessingSpec.Resize;
import org.argus.model.roster.PreprocessingSpec.Scaling;

/**
 * The named pretrained CNNs Argus provisions itself. Both come from the npm package {@code
 * nsfwjs@4.4.0} (MIT): Keras Applications networks whose lower blocks kept their frozen ImageNet
 * weights while the top was retrained to 5 classes (DESIGN.md §6). Any other ONNX file can be used
 * by path with a user-given {@link PreprocessingSpec}.
 *
 * <p>Preprocessing, per stage ({@link RosterModel#preprocessing()} vs {@link
 * RosterModel#predictorPreprocessing()}):
 *
 * <ul>
 *   <li>predict (the retrained 5-class head): nsfwjs's own {@code x/255} in {@code [0, 1]} with
 *       TF.js's aligned-corners bilinear resize — what the head was trained with and what nsfwjs's
 *       {@code classify} does (recorded in the imported ONNX file's {@code argus.preprocessing}
 *       metadata); {@code NsfwjsParityTest} checks the predictor against nsfwjs within 1e-3;
 *   <li>feature extraction (featurizer, feature transfer, training on features): {@link
 *       #FEATURE_SCALING}, chosen by per-layer Fashion-MNIST accuracy under both scalings ({@code
 *       bench/results/scaling.md}), with the default half-pixel resize.
 * </ul>
 */
public final class Roster {
  /** Labels of the retrained 5-class head shared by both models (nsfwjs's class order). */
  public static final List<String> NSFWJS_LABELS =
      List.of("Drawing", "Hentai", "Neutral", "Porn", "Sexy");

  /**
   * The scaling feature extraction uses by default: nsfwjs's {@code x/255}. On Fashion-MNIST
   * (1000 train / 250 test, 3 seeds, max:2 pooling, logistic regression; {@code bench/run scaling},
   * {@code bench/results/scaling.md}) it beat Keras's {@code x/127.5 − 1} on every curated layer of
   * both models: by 0.4–4.0 points (mean over seeds) on MobileNetV2 at 96², 1.5–4.8 on InceptionV3
   * at 139² (nsfwjs trained both models on {@code [0, 1]} inputs; even layers inside its frozen
   * blocks transfer better with them).
   */
  public static final Scaling FEATURE_SCALING = Scaling.UNIT;

  private static final Map<String, RosterModel> MODELS = new LinkedHashMap<>();

  static {
    add(
        new RosterModel(
            "mobilenet_v2",
            "Keras MobileNetV2 (alpha 1.0), 224x224 RGB, ImageNet body (frozen through block_10)",
            "npm nsfwjs@4.4.0 dist/models/mobilenet_v2 (MIT); head retrained to 5 classes",
            "input_1",
            new PreprocessingSpec(224, 224, ChannelOrder.RGB, FEATURE_SCALING, Layout.NHWC),
            nsfwjs(224),
            32,
            List.of(
                "block_3_expand_relu",
                "block_6_expand_relu",
                "block_10_expand_relu",
                "block_13_expand_relu",
                "block_16_project_BN",
                "out_relu"),
            "dense_3",
            NSFWJS_LABELS));
    add(
        new RosterModel(
            "inception_v3",
            "Keras InceptionV3, 299x299 RGB, ImageNet body (frozen through mixed5)",
            "npm nsfwjs@4.4.0 dist/models/inception_v3 (MIT); head retrained to 5 classes",
            "input_1",
            new PreprocessingSpec(299, 299, ChannelOrder.RGB, FEATURE_SCALING, Layout.NHWC),
            nsfwjs(299),
            75,
            List.of(
                "mixed2", "mixed5", "mixed6", "mixed7", "mixed8", "mixed9", "mixed10"),
            "dense_3",
            NSFWJS_LABELS));
  }

  private Roster() {}

  /**
   * @param size the native input side in pixels
   * @return nsfwjs's own preprocessing ({@code NSFWJS.infer}: {@code x/255}, then {@code
   *     tf.image.resizeBilinear(alignCorners=true)} to the native size), RGB NHWC
   */
  private static PreprocessingSpec nsfwjs(int size) {
    return new PreprocessingSpec(
        size, size, ChannelOrder.RGB, Scaling.UNIT, Layout.NHWC, Resize.ALIGN_CORNERS);
  }

  private static void add(RosterModel m) {
    MODELS.put(m.name(), m);
  }

  /** @return all roster models, in a stable order */
  public static List<RosterModel> all() {
    return List.copyOf(MODELS.values());
  }

  /** @return the roster's model names */
  public static List<String> names() {
    return List.copyOf(MODELS.keySet());
  }

  /**
   * @param name a roster name, e.g. {@code mobilenet_v2}
   * @return the roster model called {@code name}
   * @throws IllegalArgumentException naming the unknown model and listing the known ones
   */
  public static RosterModel get(String name) {
    RosterModel m = MODELS.get(name);
    if (m == null) {
      throw new IllegalArgumentException(
          "unknown model '" + name + "'; known: " + String.join(", ", MODELS.keySet())
              + " (or give an ONNX file path with a preprocessing spec)");
    }
    return m;
  }
}
