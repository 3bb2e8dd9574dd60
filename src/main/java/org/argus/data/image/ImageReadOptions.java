package org.argus.data.image;

import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Immutable options of {@link ImageFolder#read}. Build with {@link #builder()}; {@link #defaults()}
 * reads every file with a 64 Mi pixel cap and labels from the first-level folder.
 *
 * @param maxPixels largest accepted {@code width * height} (checked from the header before
 *     decoding; larger images are quarantined), {@code 1..ImageDecoder.MAX_MAX_PIXELS}
 * @param extensions lowercase file extensions to read without the dot (e.g. {@code jpg, png});
 *     empty = every file. Files filtered out are not read, hence neither decoded nor quarantined
 * @param pathGlobFilter Spark's {@code pathGlobFilter} on file names (e.g. {@code *.jpg}), or null
 *     for none; files it excludes are not read
 * @param labelFromFolder whether {@code label} is the first-level subfolder name under the root
 *     (true) or always null (false)
 */
public record ImageReadOptions(
    long maxPixels, Set<String> extensions, String pathGlobFilter, boolean labelFromFolder) {

  /**
   * Validates and normalizes (extensions lowercased, without dots, sorted, immutable).
   *
   * @throws IllegalArgumentException when {@code maxPixels} is out of range or an extension is
   *     blank
   */
  public ImageReadOptions {
    ImageDecoder.checkMaxPixels(maxPixels);
    Objects.requireNonNull(extensions, "extensions");
    TreeSet<String> norm = new TreeSet<>();
    for (String e : extensions) {
      Objects.requireNonNull(e, "extension");
      String x = e.strip().toLowerCase(Locale.ROOT);
      if (x.startsWith(".")) {
        x = x.substring(1);
      }
      if (x.isEmpty()) {
        throw new IllegalArgumentException(
            "extension '" + e + "' is blank; valid: e.g. jpg, png");
      }
      norm.add(x);
    }
    extensions = Set.copyOf(norm);
    if (pathGlobFilter != null && pathGlobFilter.isBlank()) {
      throw new IllegalArgumentException("pathGlobFilter is blank; use null for no filter");
    }
  }

  /** @return the defaults: {@code maxPixels = 67108864}, all files, labels from folders */
  public static ImageReadOptions defaults() {
    return builder().build();
  }

  /** @return a builder holding the defaults */
  public static Builder builder() {
    return new Builder();
  }

  /** @return a builder holding these options */
  public Builder toBuilder() {
    return new Builder()
        .optMaxPixels(maxPixels)
        .optExtensions(extensions)
        .optPathGlobFilter(pathGlobFilter)
        .optLabelFromFolder(labelFromFolder);
  }

  /** Builder; all options are optional ({@code opt…}), validated in {@link #build()}. */
  public static final class Builder {
    private long maxPixels = ImageDecoder.DEFAULT_MAX_PIXELS;
    private Set<String> extensions = Set.of();
    private String pathGlobFilter;
    private boolean labelFromFolder = true;

    private Builder() {}

    /**
     * @param maxPixels largest accepted width*height; default 67108864
     * @return this builder
     */
    public Builder optMaxPixels(long maxPixels) {
      this.maxPixels = maxPixels;
      return this;
    }

    /**
     * @param extensions extensions to read (case-insensitive, dot optional); empty = all
     * @return this builder
     */
    public Builder optExtensions(Set<String> extensions) {
      this.extensions = Objects.requireNonNull(extensions, "extensions");
      return this;
    }

    /**
     * @param glob Spark {@code pathGlobFilter} on file names, or null
     * @return this builder
     */
    public Builder optPathGlobFilter(String glob) {
      this.pathGlobFilter = glob;
      return this;
    }

    /**
     * @param on label = first-level folder name (default true) or null
     * @return this builder
     */
    public Builder optLabelFromFolder(boolean on) {
      this.labelFromFolder = on;
      return this;
    }

    /**
     * @return the options
     * @throws IllegalArgumentException when a value is invalid (see {@link ImageReadOptions})
     */
    public ImageReadOptions build() {
      return new ImageReadOptions(maxPixels, extensions, pathGlobFilter, labelFromFolder);
    }
  }
}
