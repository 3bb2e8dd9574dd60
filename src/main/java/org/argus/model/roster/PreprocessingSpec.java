package org.argus.model.roster;

import java.util.Locale;
import java.util.Objects;

/**
 * How pixels become a model's input tensor: the same spec is used by feature transfer, the
 * featurizer and predictor stages, and training, so a model always sees what it was trained on.
 *
 * <p>Input: Spark's image struct ({@code data} row-major, {@code BGR}/{@code BGRA}/gray bytes,
 * {@code 0..255}). Output: one example of {@code [H, W, 3] float32} (layout {@link Layout#NHWC}) or
 * {@code [3, H, W] float32} ({@link Layout#NCHW}) in the channel order and value range below. Gray
 * images are replicated to 3 channels; an alpha channel is dropped.
 *
 * <p>Scalings, as in Keras Applications' {@code preprocess_input}:
 *
 * <ul>
 *   <li>{@link Scaling#TF}: {@code x/127.5 − 1} → {@code [−1, 1]} (MobileNetV2, InceptionV3; mode
 *       "tf" in {@code keras.applications.imagenet_utils}).
 *   <li>{@link Scaling#CAFFE}: BGR order, {@code x − mean} with ImageNet means {@code [103.939,
 *       116.779, 123.68]} (VGG, ResNet50; mode "caffe").
 *   <li>{@link Scaling#UNIT}: {@code x/255} → {@code [0, 1]}.
 *   <li>{@link Scaling#NONE}: raw {@code 0..255} as float.
 * </ul>
 *
 * <p>Resizing is bilinear, straight to {@code H×W} without keeping the aspect ratio, in one of two
 * sampling conventions ({@link Resize}): half-pixel centres (OpenCV {@code INTER_LINEAR}, TF2 {@code
 * tf.image.resize(method="bilinear")}; the default) or aligned corners (TF.js {@code
 * tf.image.resizeBilinear(x, size, alignCorners=true)}, what nsfwjs uses). An image already at
 * {@code H×W} is not resampled by either.
 *
 * @param height input height in pixels (≥ 1)
 * @param width input width in pixels (≥ 1)
 * @param channelOrder channel order of the tensor
 * @param scaling value scaling
 * @param layout tensor layout of one example
 * @param resize bilinear sampling convention
 */
public record PreprocessingSpec(
    int height, int width, ChannelOrder channelOrder, Scaling scaling, Layout layout, Resize resize)
    implements java.io.Serializable {

  /** Channel order of the produced tensor. */
  public enum ChannelOrder {
    /** Red, green, blue (Keras "tf"/"torch" modes, TF.js). */
    RGB,
    /** Blue, green, red (Caffe, Keras "caffe" mode, Spark's image struct). */
    BGR
  }

  /** Value scaling (see the class comment for the formulas). */
  public enum Scaling {
    /** {@code x/127.5 − 1} → {@code [−1, 1]}. */
    TF,
    /** {@code x − mean} per channel with {@link #CAFFE_BGR_MEAN}, no scaling. */
    CAFFE,
    /** {@code x/255} → {@code [0, 1]}. */
    UNIT,
    /** Raw {@code 0..255}. */
    NONE
  }

  /** Layout of the produced tensor. */
  public enum Layout {
    /** {@code [N, H, W, C]}, Keras/TensorFlow's channels-last. */
    NHWC,
    /** {@code [N, C, H, W]}, PyTorch/Caffe's channels-first. */
    NCHW
  }

  /**
   * Where output pixel {@code i} (of {@code out} along an axis of {@code in} source pixels) samples
   * the source, before bilinear interpolation between the two nearest source pixels.
   */
  public enum Resize {
    /**
     * Half-pixel centres: {@code src = (i + 0.5)·in/out − 0.5}, clamped at 0 (OpenCV {@code
     * INTER_LINEAR}, TF2 {@code tf.image.resize}, PyTorch {@code align_corners=False}).
     */
    HALF_PIXEL,
    /**
     * Aligned corners: {@code src = i·(in − 1)/(out − 1)} (or {@code i·in/out} when {@code out = 1}),
     * so the corner pixels map onto each other — TF.js {@code resizeBilinear(alignCorners=true)} as
     * implemented by its CPU backend, the resize nsfwjs's {@code classify} applies.
     */
    ALIGN_CORNERS
  }

  /** ImageNet BGR channel means used by {@link Scaling#CAFFE} (Keras imagenet_utils, mode caffe). */
  public static final float[] CAFFE_BGR_MEAN = {103.939f, 116.779f, 123.68f};

  /**
   * A spec with the default {@link Resize#HALF_PIXEL} resize.
   *
   * @param height input height in pixels (≥ 1)
   * @param width input width in pixels (≥ 1)
   * @param channelOrder channel order of the tensor
   * @param scaling value scaling
   * @param layout tensor layout of one example
   * @throws IllegalArgumentException when a size is below 1
   * @throws NullPointerException when an enum is null
   */
  public PreprocessingSpec(
      int height, int width, ChannelOrder channelOrder, Scaling scaling, Layout layout) {
    this(height, width, channelOrder, scaling, layout, Resize.HALF_PIXEL);
  }

  /**
   * Validates the spec.
   *
   * @param height input height in pixels (≥ 1)
   * @param width input width in pixels (≥ 1)
   * @param channelOrder channel order of the tensor
   * @param scaling value scaling
   * @param layout tensor layout of one example
   * @param resize bilinear sampling convention
   * @throws IllegalArgumentException when a size is below 1
   * @throws NullPointerException when an enum is null
   */
  public PreprocessingSpec {
    if (height < 1 || width < 1) {
      throw new IllegalArgumentException(
          "input size must be at least 1x1 pixels, found " + height + "x" + width);
    }
    Objects.requireNonNull(channelOrder, "channelOrder");
    Objects.requireNonNull(scaling, "scaling");
    Objects.requireNonNull(layout, "layout");
    Objects.requireNonNull(resize, "resize");
  }

  /**
   * The same spec at another input size (the conv bodies of the roster models accept other sizes
   * than their native one, down to {@link RosterModel#minInputSize()}).
   *
   * @param newHeight input height in pixels (≥ 1)
   * @param newWidth input width in pixels (≥ 1)
   * @return a spec that differs only in its size
   * @throws IllegalArgumentException when a size is below 1
   */
  public PreprocessingSpec withSize(int newHeight, int newWidth) {
    return new PreprocessingSpec(newHeight, newWidth, channelOrder, scaling, layout, resize);
  }

  /**
   * @param newScaling value scaling
   * @return the same spec with another scaling
   */
  public PreprocessingSpec withScaling(Scaling newScaling) {
    return new PreprocessingSpec(height, width, channelOrder, newScaling, layout, resize);
  }

  /**
   * @param newResize bilinear sampling convention
   * @return the same spec with another resize
   */
  public PreprocessingSpec withResize(Resize newResize) {
    return new PreprocessingSpec(height, width, channelOrder, scaling, layout, newResize);
  }

  /** @return floats per example: {@code 3·H·W} */
  public int floatsPerExample() {
    return 3 * height * width;
  }

  /**
   * @param n examples in the batch
   * @return the shape of a batch of {@code n} examples: {@code [n, H, W, 3]} (NHWC) or {@code [n, 3,
   *     H, W]} (NCHW)
   */
  public long[] batchShape(int n) {
    return layout == Layout.NHWC
        ? new long[] {n, height, width, 3}
        : new long[] {n, 3, height, width};
  }

  /**
   * Parses the compact form {@link #compact()} prints (and the CLI accepts): {@code
   * SIZE:ORDER:SCALING:LAYOUT[:RESIZE]}, e.g. {@code 224:rgb:tf:nhwc}, {@code
   * 224x200:bgr:caffe:nchw} or {@code 224:rgb:unit:nhwc:align_corners} (case-insensitive; a single
   * size {@code N} means {@code N×N}; RESIZE is {@code half_pixel} (the default) or {@code
   * align_corners}).
   *
   * @param text the compact form
   * @return the spec
   * @throws IllegalArgumentException naming the part that is wrong and the valid values
   */
  public static PreprocessingSpec parse(String text) {
    String[] p = text.trim().toLowerCase(Locale.ROOT).split(":");
    if (p.length != 4 && p.length != 5) {
      throw new IllegalArgumentException("preprocessing spec '" + text
          + "' must be SIZE:ORDER:SCALING:LAYOUT[:RESIZE], e.g. 224:rgb:tf:nhwc or"
          + " 224:rgb:unit:nhwc:align_corners");
    }
    int h;
    int w;
    try {
      String[] hw = p[0].split("x");
      h = Integer.parseInt(hw[0]);
      w = hw.length > 1 ? Integer.parseInt(hw[1]) : h;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "preprocessing size '" + p[0] + "' must be N or HxW, e.g. 224 or 224x200", e);
    }
    return new PreprocessingSpec(
        h,
        w,
        parseEnum(ChannelOrder.class, p[1], "channel order"),
        parseEnum(Scaling.class, p[2], "scaling"),
        parseEnum(Layout.class, p[3], "layout"),
        p.length == 5 ? parseEnum(Resize.class, p[4], "resize") : Resize.HALF_PIXEL);
  }

  private static <E extends Enum<E>> E parseEnum(Class<E> type, String value, String what) {
    for (E e : type.getEnumConstants()) {
      if (e.name().equalsIgnoreCase(value)) {
        return e;
      }
    }
    StringBuilder valid = new StringBuilder();
    for (E e : type.getEnumConstants()) {
      valid.append(valid.length() == 0 ? "" : ", ").append(e.name().toLowerCase(Locale.ROOT));
    }
    throw new IllegalArgumentException("unknown " + what + " '" + value + "'; valid: " + valid);
  }

  /**
   * @return the compact form, e.g. {@code 224x224:rgb:tf:nhwc}; the resize is appended only when it
   *     is not the default, e.g. {@code 224x224:rgb:unit:nhwc:align_corners}
   */
  public String compact() {
    String r = resize == Resize.HALF_PIXEL ? "" : ":" + resize.name().toLowerCase(Locale.ROOT);
    return height
        + "x"
        + width
        + ":"
        + channelOrder.name().toLowerCase(Locale.ROOT)
        + ":"
        + scaling.name().toLowerCase(Locale.ROOT)
        + ":"
        + layout.name().toLowerCase(Locale.ROOT)
        + r;
  }
}
