package org.argus.execution.mop;

import java.io.Serializable;

/**
 * One labelled training example as stored in a shard.
 *
 * @param label class index in {@code [0, classes)}
 * @param x features, {@code prod(inputShape)} float32 (images: {@code [C, H, W]}, values /255)
 */
public record Example(int label, float[] x) implements Serializable {}
