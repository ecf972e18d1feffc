package dev.finetune.trainer.train;

import ai.djl.ndarray.NDArray;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * What the training loop needs of a model with a LoRA adapter. The trainer owns the order of operations
 * (micro-batches, all-reduce, unscale, clip, AdamW, zeroing); the model owns forward and backward.
 */
public interface TrainableModel {

    /**
     * The FP32 master LoRA weights by peft key, in a fixed order; their gradients are
     * {@code parameter.getGradient()} and accumulate over micro-batches until the trainer zeroes them.
     */
    Map<String, NDArray> parameters();

    /**
     * Forward and backward of one micro-batch: adds d(lossScale · Σ token losses / divisor)/dθ to every
     * parameter's gradient and returns Σ token losses of the batch (unscaled, not divided). {@code divisor} is
     * the number of targets of the whole optimizer step over all micro-batches and ranks (docs/data-contract.md).
     */
    double forwardBackward(MicroBatch batch, double lossScale, double divisor);

    /** Σ token losses of the batch, no gradients (evaluation). */
    double lossSum(MicroBatch batch);

    /**
     * Seeds the dropout masks of the next micro-batches; the trainer calls it before every optimizer step with a
     * value derived from (seed, step), so a resumed run draws the masks an uninterrupted one would.
     */
    default void reseedDropout(long seed) {}

    /** Writes adapter_config.json + adapter_model.safetensors exactly as peft does into {@code dir}. */
    void saveAdapter(Path dir) throws IOException;
}
