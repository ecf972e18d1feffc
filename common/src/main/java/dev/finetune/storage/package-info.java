/**
 * Storage on Hadoop FileSystems (local disk, mounted Drive, hdfs://, gs://): {@link dev.finetune.storage.Storage}
 * wires the GCS connector and opens filesystems; {@link dev.finetune.storage.AtomicOutput} publishes a whole
 * directory atomically with a {@code _SUCCESS} marker written last and never replaces a folder it did not write
 * unless asked; {@link dev.finetune.storage.AtomicFiles} writes one file via temp + rename;
 * {@link dev.finetune.storage.NodeCopy} copies a remote folder (a gs:// model, a shared libtorch) to local disk once
 * per machine; {@link dev.finetune.storage.RunLayout} names a run's folders (data/, checkpoints/, final/, merged/,
 * logs/) for every step and the CLI. No Spark imports.
 */
package dev.finetune.storage;
