/**
 * LoRA adapters the way peft stores them: {@code adapter_config.json} + {@code adapter_model.safetensors},
 * keys built only in {@link dev.finetune.trainer.lora.PeftKeys}. Holds FP32 master A/B tensors (trainable),
 * their init (peft's default) and the pure function {@link dev.finetune.trainer.lora.LoraLinear#delta}.
 * Knows the decoder's projection names, not its forward.
 */
package dev.finetune.trainer.lora;
