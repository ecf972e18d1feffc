/**
 * The training recipe: options, the optimizer (torch-exact AdamW, global-norm clipping, LR schedules),
 * FP16 dynamic loss scaling, the loop over token shards (shuffle, rank sharding, gradient accumulation),
 * metrics (JSON lines, TensorBoard events, progress bar, loss-curve PNG), checkpoints with exact resume
 * (each verified against its manifest and refused when it was trained from other data, model or settings),
 * and the final peft-layout save.
 *
 * <p>Owns nothing of the model's forward (package {@code model}) nor of the network (package
 * {@code collective}): ranks reach it only through {@link dev.finetune.trainer.train.GradientSync}.
 * Never imports Spark.
 */
package dev.finetune.trainer.train;
