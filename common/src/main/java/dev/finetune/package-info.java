/** Shared by the pipeline and the trainer: configuration, the Hub client, the shard format, storage. */
package dev.finetune;
