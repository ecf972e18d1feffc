/**
 * The run configuration users write: one YAML file whose keys mirror the seed notebook's parameter cell in
 * snake_case ({@code LORA_R} → {@code lora_r}), overridden by {@code --kebab-case} flags, validated with messages that name
 * the key, the value and the allowed range. Owns {@link dev.finetune.config.RunConfig} (the keys and their
 * defaults: the only place a key's default is written), its sections as the immutable values the steps receive
 * ({@code TrainingConfig}, {@code LoraConfig}, {@code BaseModelConfig}, {@code GenerationConfig},
 * {@code PrepareConfig}, {@code RuntimeConfig}; built by RunConfig only), {@link dev.finetune.config.ConfigSchema} (the key table derived from it, used for flags, help and
 * the README reference) and {@link dev.finetune.config.ConfigLoader} (file + overrides → config). Imports no
 * Spark and no DJL; never holds a token.
 */
package dev.finetune.config;
