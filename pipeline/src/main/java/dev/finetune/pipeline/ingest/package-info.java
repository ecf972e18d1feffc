/**
 * Where the records come from, without Spark: parsing a source ({@code hf://datasets/...} or local, Drive,
 * gs:// paths), expanding paths to a sorted file list of one format, the encoder factory that executors use,
 * and the deterministic holdout. The Spark side ({@code dev.finetune.pipeline.spark}) reads what this resolves.
 */
package dev.finetune.pipeline.ingest;
