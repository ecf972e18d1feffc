/**
 * Text ↔ token ids through the Hugging Face tokenizers library (DJL's Rust binding), loaded only from a local
 * directory (never a Hub name: the native code would reach the network, docs/djl.md), plus what
 * tokenizer_config.json says about special tokens and the chat template. Owns no templating and no Spark.
 */
package dev.finetune.tokenize;
