package dev.finetune.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.function.Supplier;

/**
 * What every layer of one forward pass shares: dtype, mode, RoPE tables, masks, the optional KV cache and the
 * phase observer.
 */
final class LayerContext {
    final DataType computeType;
    final boolean training;
    final NDArray cos; // [B, 1, T, Dh] compute dtype
    final NDArray sin; // [B, 1, T, Dh]
    private final Supplier<NDArray> fullMaskSource; // [B, 1, 1, T, S] fp32 additive, made on first use
    private final Supplier<NDArray> slidingMaskSource; // same, for sliding-window layers; null when the model has none
    private NDArray fullMask;
    private NDArray slidingMask;
    /** Every row is one document without padding, so the full mask is plain causal (training batches only). */
    final boolean causal;
    /** The documents' bounds as {@link SdpaAttention#attendDocuments} takes them, made on first use; null in decoding. */
    private final Supplier<NDArray[]> documentsSource;

    private NDArray[] documents;
    private Boolean documentsKernel; // decided at the first layer that asks, for the whole pass

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
            Supplier<NDArray> fullMask,
            Supplier<NDArray> slidingMask,
            boolean causal,
            Supplier<NDArray[]> documents,
            KvCache cache,
            AttentionKernel kernel,
            PhaseObserver phases) {
        this.kernel = kernel;
        this.phases = phases;
        this.computeType = computeType;
        this.training = training;
        this.cos = cos;
        this.sin = sin;
        this.fullMaskSource = fullMask;
        this.slidingMaskSource = slidingMask;
        this.causal = causal;
        this.documentsSource = documents;
        this.cache = cache;
    }

    /**
     * The additive mask of a sliding or full layer, [B, 1, 1, T, S] FP32, made on first use: a batch of whole rows
     * on the causal kernel never needs it (at 8192 tokens a row it is 256 MiB).
     */
    NDArray mask(boolean sliding) {
        if (sliding) {
            if (slidingMask == null) {
                slidingMask = slidingMaskSource.get();
            }
            return slidingMask;
        }
        if (fullMask == null) {
            fullMask = fullMaskSource.get();
        }
        return fullMask;
    }

    /** [bounds, longest] of the batch's documents (see {@link TrainingBatch#documentBounds}); null in decoding. */
    NDArray[] documents() {
        if (documents == null && documentsSource != null) {
            documents = documentsSource.get();
        }
        return documents;
    }

    /** Whether packed rows take {@link SdpaAttention#attendDocuments} in this pass (q: the first layer's queries). */
    boolean documentsKernel(NDArray q) {
        if (documentsKernel == null) {
            documentsKernel = documentsSource != null && cache == null && SdpaAttention.documentsKernelServes(q);
        }
        return documentsKernel;
    }

    /** The same mask for {@link SdpaAttention}: [B, 1, T, S] in the compute dtype. */
    NDArray sdpaMask(boolean sliding) {
        if (sliding) {
            if (sdpaSliding == null) {
                sdpaSliding = SdpaAttention.mask(mask(true), computeType);
            }
            return sdpaSliding;
        }
        if (sdpaFull == null) {
            sdpaFull = SdpaAttention.mask(mask(false), computeType);
        }
        return sdpaFull;
    }
}
