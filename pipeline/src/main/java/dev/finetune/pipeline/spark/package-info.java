/**
 * The prepare job on Spark: reads the sources, orders documents by (file, position) whatever the partitioning,
 * encodes records on executors (one encoder per task slot, pooled per JVM), groups documents into packing
 * windows with one shuffle, writes one shard per window from the tasks and publishes the output atomically.
 * The only package of the pipeline that imports Spark.
 */
package dev.finetune.pipeline.spark;
