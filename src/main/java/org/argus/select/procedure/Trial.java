package org.argus.select.procedure;

import java.io.Serializable;
import org.argus.select.space.Config;

/**
 * A config under training. Its seed (weights init, batch order) is {@code Seeds.split(runSeed,
 * "trial", id)}, assigned by the executor.
 *
 * @param id 0-based id, dense in creation order
 * @param config the hyperparameters
 * @param bracket Hyperband bracket {@code s} (or -1)
 */
public record Trial(int id, Config config, int bracket) implements Serializable {}
