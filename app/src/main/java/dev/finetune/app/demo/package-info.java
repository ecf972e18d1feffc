/**
 * The embedded demo ({@code jobs/finetune demo}): writes a deterministic random-initialised tiny Qwen3-shaped
 * model and a jsonl dataset from the bundled text (app/src/demo), then runs the same prepare, train and
 * generate code users run, offline on CPU, and reports where the adapter is, the loss before and after, and a
 * sample generation. Owns no training or model logic.
 */
package dev.finetune.app.demo;
