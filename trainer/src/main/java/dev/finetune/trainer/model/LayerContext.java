package dev.finetune.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * What every layer of one forward pass shares: dtype, mode, RoPE tables, masks, the optional KV cache and the
 * phase observer.
 */
final class LayerContext {
    final DataType computeType;
    final boolean training;
    final NDArray cos; // [B, 1, T, Dh] compute dtype
    final NDArray sin; // [B, 1, T, Dh]
    final NDArray fullMask; // [B, 1, 1, T, S] fp32 additive
    final NDArray slidingMask; // same, for sliding-window layers; null when the model has none
    final KvCache cache; // null in training
    final AttentionKernel kernel;
    final PhaseObserver phases;
    private NDArray sdpaFull; // the masks as SDPA takes them, made on first use next to the masks above
    private NDArray sdpaSliding;

    LayerContext(
            DataType computeType,
            boolean training,
            NDArray cos,
            NDArray sin,
            NDArray fullMask,
            NDArray slidingMask,
            KvCache cache,
            AttentionKernel kernel,
            PhaseObserver phases) {
        this.kernel = kernel;
        this.phases = phases;
        this.computeType = computeType;
        this.training = training;
        this.cos = cos;
        this.sin = sin;
        this.fullMask = fullMask;
        this.slidingMask = slidingMask;
        this.cache = cache;
    }

    /** The additive mask of a sliding or full layer, [B, 1, 1, T, S] FP32. */
    NDArray mask(boolean sliding) {
        return sliding ? slidingMask : fullMask;
    }

    /** The same mask for {@link SdpaAttention}: [B, 1, T, S] in the compute dtype. */
    NDArray sdpaMask(boolean sliding) {
        if (sliding) {
            if (sdpaSliding == null) {
                sdpaSliding = SdpaAttention.mask(slidingMask, computeType);
            }
            return sdpaSliding;
        }
        if (sdpaFull == null) {
            sdpaFull = SdpaAttention.mask(fullMask, computeType);
        }
        return sdpaFull;
    }
}
