package org.argus.provision;

import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * The provisioning cache root: {@code $ARGUS_HOME}, else the system property {@code argus.home},
 * else {@code ~/.cache/argus}. Data sets live under {@code datasets/<name>/}, models under
 * {@code models/<name>/}.
 */
public final class ArgusHome {
  private ArgusHome() {}

  /** @return the cache root (not created by this call) */
  public static Path root() {
    String prop = System.getProperty("argus.home");
    if (prop != null && !prop.isBlank()) {
      return Paths.get(prop).toAbsolutePath();
    }
    String env = System.getenv("ARGUS_HOME");
    if (env != null && !env.isBlank()) {
      return Paths.get(env).toAbsolutePath();
    }
    return Paths.get(System.getProperty("user.home"), ".cache", "argus");
  }

  /** @return {@code root()/datasets/<name>} */
  public static Path dataset(String name) {
    return root().resolve("datasets").resolve(name);
  }

  /** @return {@code root()/models/<name>} */
  public static Path model(String name) {
    return root().resolve("models").resolve(name);
  }
}
