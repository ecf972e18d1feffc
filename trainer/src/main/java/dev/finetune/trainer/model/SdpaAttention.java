package dev.finetune.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.finetune.trainer.tensor.Ops;
import dev.finetune.trainer.tensor.ScriptModules;

/**
 * torch.nn.functional.scaled_dot_product_attention through {@link ScriptModules#SDPA_ATTENTION} (an explicit mask:
 * packed rows, padding, sliding windows, decoding) or {@link ScriptModules#SDPA_CAUSAL} (rows of one document each:
 * {@code is_causal} with grouped heads read in place, which lets torch pick its flash kernel instead of the
 * memory-efficient one that reads a mask and needs k and v repeated per query head) or, for packed rows on CUDA in
 * FP16/BF16, {@link ScriptModules#SDPA_VARLEN} (the variable-length flash kernel over the documents' bounds).
 */
final class SdpaAttention {
    /** The lowest FP16 value: a finite "masked" that keeps rows without any allowed key finite. */
    private static final float FP16_MASKED = -65504f;

    private SdpaAttention() {}

    /**
     * q [B, H, T, Dh], k and v [B, Hkv, S, Dh] in the compute dtype, mask from {@link #mask} → [B, H, T, Dh] in
     * q's manager.
     */
    static NDArray attend(NDArray q, NDArray k, NDArray v, NDArray mask) {
        return ScriptModules.call(ScriptModules.SDPA_ATTENTION, q, k, v, mask);
    }

    /** Causal attention without a mask: q [B, H, T, Dh], k and v [B, Hkv, T, Dh] → [B, H, T, Dh] in q's manager. */
    static NDArray attendCausal(NDArray q, NDArray k, NDArray v) {
        return ScriptModules.call(ScriptModules.SDPA_CAUSAL, q, k, v);
    }

    /**
     * Causal attention inside each document of packed rows: q [B, H, T, Dh], k and v [B, Hkv, T, Dh], documents from
     * {@link #documents} → [B, H, T, Dh] in q's manager.
     */
    static NDArray attendDocuments(NDArray q, NDArray k, NDArray v, NDArray[] documents) {
        return ScriptModules.call(ScriptModules.SDPA_VARLEN, q, k, v, documents[0], documents[1]);
    }

    /**
     * Whether {@link #attendDocuments} serves q: the variable-length flash kernel exists on CUDA only, for FP16 and
     * BF16 and heads of at most 256 dimensions.
     */
    static boolean documentsKernelServes(NDArray q) {
        DataType type = q.getDataType();
        return q.getDevice().isGpu()
                && (type == DataType.FLOAT16 || type == DataType.BFLOAT16)
                && q.getShape().get(3) <= 256
                && ScriptModules.usable(ScriptModules.SDPA_VARLEN, q.getDevice());
    }

    /** [bounds int32 [N + 1] in {@code scope}, the longest document as a host FP64 [1]] from the batch's bounds. */
    static NDArray[] documents(NDManager scope, int[] bounds) {
        int longest = 0;
        for (int i = 1; i < bounds.length; i++) {
            longest = Math.max(longest, bounds[i] - bounds[i - 1]);
        }
        return new NDArray[] {scope.create(bounds), Ops.hostScalars(longest)};
    }

    /** The additive FP32 mask [B, 1, 1, T, S] of {@link AttentionMask} as SDPA takes it: [B, 1, T, S] in {@code type}. */
    static NDArray mask(NDArray additive, DataType type) {
        long[] s = additive.getShape().getShape();
        NDArray m = additive.reshape(s[0], 1, s[3], s[4]);
        if (type == DataType.FLOAT32) {
            return m;
        }
        NDArray clipped = m.clip(FP16_MASKED, 0f);
        NDArray cast = clipped.toType(type, false);
        clipped.close();
        m.close();
        return cast;
    }
}
