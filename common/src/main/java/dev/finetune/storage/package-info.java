/**
 * Storage on Hadoop FileSystems (local disk, mounted Drive, hdfs://, gs://): {@link dev.finetune.storage.Storage}
 * wires the GCS connector and opens filesystems; {@link dev.finetune.storage.AtomicOutput} publishes a whole
 * directory atomically with a {@code _SUCCESS} marker written last and never replaces a folder it did not write
 * unless asked; {@link dev.finetune.storage.AtomicFiles}
 * writes one file via temp + rename. No Spark imports.
 */
package dev.finetune.storage;
