/**
 * {@code inspect}: what a prepared output holds, from its manifest, and a few rows decoded with the trained
 * tokens marked, so a user sees exactly what the loss is computed on before spending GPU time. No Spark.
 */
package dev.finetune.pipeline.inspect;
