/**
 * The decoder-only transformer (Llama, Qwen2, Qwen3, Mistral) in Java over DJL NDArrays: its config
 * ({@link dev.finetune.trainer.model.ModelConfig}), its seven projections' names, checkpoint keys and shapes
 * ({@link dev.finetune.trainer.model.Projection}, the only place that spells them), its weights (loaded by HF key),
 * one {@link dev.finetune.trainer.model.DecoderLayer} with forward and recompute-and-backward side by side,
 * masks, RoPE, loading from a model folder, and the training step API
 * ({@link dev.finetune.trainer.model.CausalLM#forwardBackward}). Two hooks let the packages built on it plug in
 * without being imported: base linear weights sit behind {@link dev.finetune.trainer.model.LinearWeight} (NF4),
 * and an adapter adds its term to each projection through {@link dev.finetune.trainer.model.ProjectionAdapter}
 * (LoRA). Tensor helpers come from {@code tensor}; never imports Spark, {@code lora}, {@code nf4}, {@code train}
 * or {@code ai.djl.pytorch}.
 */
package dev.finetune.trainer.model;
