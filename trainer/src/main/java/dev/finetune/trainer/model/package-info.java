/**
 * The decoder-only transformer (Llama, Qwen2, Qwen3, Mistral) in Java over DJL NDArrays: its config
 * ({@link dev.finetune.trainer.model.ModelConfig}), its weights (final fields named after the HF keys),
 * one {@link dev.finetune.trainer.model.DecoderLayer} with forward and recompute-and-backward side by side,
 * masks, RoPE, loading from a model folder, and the training step API
 * ({@link dev.finetune.trainer.model.CausalLM#forwardBackward}). Base linear weights sit behind
 * {@link dev.finetune.trainer.model.LinearWeight} so NF4 plugs in. Never imports Spark.
 */
package dev.finetune.trainer.model;
