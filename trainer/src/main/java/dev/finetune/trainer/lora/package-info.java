/**
 * LoRA adapters the way peft stores them: {@code adapter_config.json} + {@code adapter_model.safetensors},
 * keys built only in {@link dev.finetune.trainer.lora.PeftKeys} (module names from the model's
 * {@code Projection}). Holds FP32 master A/B tensors (trainable) and their init (peft's default);
 * {@link dev.finetune.trainer.lora.LoraAdapter} is the model's {@code ProjectionAdapter}, and
 * {@link dev.finetune.trainer.lora.LoraLinear#forward} is the whole LoRA branch of a projection's forward.
 */
package dev.finetune.trainer.lora;
