/**
 * Throughput benchmark of prepare in Spark local mode: CPU-seconds per million tokens of the tokenizer alone
 * and of the whole job, and wall-clock at 1 and 2 cores. Not used by the product.
 */
package dev.finetune.pipeline.bench;
