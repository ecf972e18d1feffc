/**
 * Packing tokenized documents into fixed-length shard rows: over-long documents split or truncated, best-fit
 * decreasing bin packing within one bounded window of documents, padding, and the counts that go into the
 * manifest. Pure Java, no Spark: the Spark job calls {@link dev.finetune.pipeline.packing.WindowPacker} once
 * per window.
 */
package dev.finetune.pipeline.packing;
