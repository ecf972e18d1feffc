/**
 * {@code merge}: a LoRA adapter added into the base model's original weights (W' = W + scale·B·A, FP32 per
 * tensor) and saved as a model folder transformers loads (sharded safetensors + index, config.json,
 * generation_config.json, tokenizer files), published atomically on any Hadoop FileSystem. Reads the base
 * through {@code safetensors}, the adapter through {@code lora}; no DJL arrays (FP32 math on
 * the heap) and no Spark.
 */
package dev.finetune.trainer.merge;
