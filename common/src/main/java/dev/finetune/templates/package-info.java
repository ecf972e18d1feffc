/**
 * Hugging Face chat templates: a small interpreter for the Jinja subset that tokenizer_config.json templates
 * use, rendering as transformers does (trim_blocks, lstrip_blocks, tojson without ASCII escaping,
 * raise_exception, strftime_now). Owns the lexer, parser and evaluator; knows nothing of tokenizers or Spark.
 */
package dev.finetune.templates;
