/**
 * Training engines for model selection: the engine-agnostic {@link org.argus.runtime.train.Trainer}
 * SPI (Cerebro's handlers: create, train a sub-epoch, evaluate, export/import full state) and its
 * DJL + PyTorch implementations: {@link org.argus.runtime.train.DjlTrainerFactory} (families built
 * from scratch) and {@link org.argus.runtime.train.FineTuneTrainerFactory} (a pretrained Keras CNN
 * fine-tuned above a layer, rebuilt by {@code runtime.train.imported}).
 */
package org.argus.runtime.train;
