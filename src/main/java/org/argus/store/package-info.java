/**
 * Durable state of a model-selection run: checksummed checkpoints written atomically through the
 * Hadoop FileSystem API ({@link org.argus.store.CheckpointStore}) and run metadata as Parquet
 * tables in the run directory ({@link org.argus.store.ParquetTable}, {@link
 * org.argus.store.RunDirectory}).
 */
package org.argus.store;
