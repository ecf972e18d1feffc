package dev.finetune.trainer.model;

import ai.djl.ndarray.NDArray;

/**
 * The model's hook for an adapter on its projections (LoRA is the one in {@code dev.finetune.trainer.lora}):
 * every projection computes {@code x Wᵀ + b + delta(x)}, with {@code delta} from here. The model records the
 * adapter's ops in its graph like its own, so gradients reach whatever tensors the adapter trains.
 */
public interface ProjectionAdapter {

    /**
     * What the adapter adds to {@code projection} of layer {@code layer}: x [..., in] in the compute dtype →
     * [..., out] in x's dtype and manager; null where the adapter leaves this projection alone.
     * {@code training} is true in training forwards (dropout applies), false in evaluation and generation.
     */
    NDArray delta(int layer, Projection projection, NDArray x, boolean training);

    /**
     * The whole projection x Wᵀ + b + delta(x) where the adapter computes it in one go (the frozen product
     * accumulating into its branch's output, with no separate add); null where it does not, and the model adds
     * {@link #delta} itself. weight [out, in] and bias [out] (or null) in x's dtype.
     */
    default NDArray project(
            int layer, Projection projection, NDArray x, NDArray weight, NDArray bias, boolean training) {
        return null;
    }

    /**
     * Whether {@link #delta} draws random numbers in training (dropout): the model then seeds the engine before
     * each layer's forward and its recompute, so both draw the same.
     */
    boolean drawsRandomNumbers();
}
