package dev.finetune.trainer.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.finetune.trainer.tensor.GradMode;
import dev.finetune.trainer.tensor.Ops;
import dev.finetune.trainer.tensor.ScriptModules;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

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
                && ScriptModules.usable(ScriptModules.SDPA_VARLEN, q.getDevice())
                && DOCUMENTS_KERNEL_AGREES.computeIfAbsent(
                        q.getDevice() + " " + type, k -> agrees(q.getDevice(), type));
    }

    private static final Map<String, Boolean> DOCUMENTS_KERNEL_AGREES = new ConcurrentHashMap<>();

    /**
     * Once per device and dtype, before first use: the variable-length kernel against the masked one on two packed
     * documents with grouped heads. A torch whose kernel fails or differs leaves packed rows on the masked kernel,
     * with a note on stderr.
     */
    private static boolean agrees(Device device, DataType type) {
        try (NDManager m = NDManager.newBaseManager(device)) {
            return GradMode.with(false, () -> {
                int t = 64;
                NDArray q = m.randomNormal(new Shape(1, 4, t, 64)).toType(type, false);
                NDArray k = m.randomNormal(new Shape(1, 2, t, 64)).toType(type, false);
                NDArray v = m.randomNormal(new Shape(1, 2, t, 64)).toType(type, false);
                long[] seg = new long[t];
                for (int i = 0; i < t; i++) {
                    seg[i] = i < 40 ? 1 : 2;
                }
                NDArray mask = mask(AttentionMask.fromSegments(m, m.create(seg, new Shape(1, t)), 0), type);
                NDArray want = Ops.toFloat32(attend(q, k, v, mask));
                NDArray got = Ops.toFloat32(attendDocuments(q, k, v, documents(m, new int[] {0, 40, t})));
                float diff = got.sub(want).abs().max().getFloat();
                float scale = want.abs().max().getFloat();
                if (!(diff <= 1e-2f * scale)) {
                    System.err.println("note: " + ScriptModules.SDPA_VARLEN + " differs from the masked kernel on "
                            + device + " (max difference " + diff + "); packed rows use the masked kernel");
                    return false;
                }
                return true;
            });
        } catch (RuntimeException e) {
            System.err.println("note: " + ScriptModules.SDPA_VARLEN + " failed on " + device + " (" + e.getMessage()
                    + "); packed rows use the masked kernel");
            return false;
        }
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
