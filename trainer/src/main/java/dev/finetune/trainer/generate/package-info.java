/**
 * Text generation with a KV cache: sampling (greedy, temperature, top-k, top-p), several prompts at once with
 * left padding, EOS and stop-string stopping, token streaming, chat prompts through the model's chat
 * template, {@link dev.finetune.trainer.generate.GenerationModel} (model, adapter and tokenizer loaded once, then
 * any number of {@link dev.finetune.trainer.generate.Generation}s: what generate, chat, run and the demo call) and a
 * throughput benchmark. Builds on
 * {@link dev.finetune.trainer.model.CausalLM#decode}; owns no model math.
 */
package dev.finetune.trainer.generate;
