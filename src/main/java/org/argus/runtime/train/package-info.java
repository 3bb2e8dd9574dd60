/**
 * Training engines for model selection: the engine-agnostic {@link org.argus.runtime.train.Trainer}
 * SPI (Cerebro's handlers: create, train a sub-epoch, evaluate, export/import full state) and its
 * DJL + PyTorch implementation {@link org.argus.runtime.train.DjlTrainerFactory}.
 */
package org.argus.runtime.train;
