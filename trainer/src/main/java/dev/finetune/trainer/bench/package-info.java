/**
 * The {@code bench} command (random weights of a real shape, synthetic tokens, one JSON line of results)
 * and {@link dev.finetune.trainer.bench.PhaseTimer}, the opt-in per-phase timer: a {@code model.PhaseObserver}
 * that the benchmarks hand to the model and the optimizer step.
 * Downloads nothing.
 */
package dev.finetune.trainer.bench;
