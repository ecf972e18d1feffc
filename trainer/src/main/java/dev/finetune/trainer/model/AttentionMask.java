package dev.finetune.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Additive FP32 attention masks [B, 1, 1, T, S] (0 where a query may attend a key, -1e9 elsewhere), laid out
 * for the grouped-query scores [B, Hkv, Hq/Hkv, T, S]. A finite value instead of -inf keeps fully masked
 * (padding) rows finite: they get uniform weights and are never read. Built from device ops, not host
 * arrays, since B·T² floats are large.
 */
public final class AttentionMask {
    private static final float MASKED = -1e9f;

    private AttentionMask() {}

    /**
     * Training: block-diagonal causal mask from segment ids [B, T] (0 = padding): a query attends keys of
     * its own segment at or before it, and with {@code window} > 0 only keys less than {@code window}
     * tokens back (transformers' sliding_window).
     */
    public static NDArray fromSegments(NDManager scope, NDArray segments, int window) {
        long b = segments.getShape().get(0);
        long t = segments.getShape().get(1);
        NDArray segQ = segments.reshape(new Shape(b, 1, 1, t, 1));
        NDArray segK = segments.reshape(new Shape(b, 1, 1, 1, t));
        NDArray idx = scope.arange(0, (int) t, 1, DataType.INT64);
        NDArray q = idx.reshape(1, 1, 1, t, 1);
        NDArray k = idx.reshape(1, 1, 1, 1, t);
        NDArray allowed = segQ.eq(segK).logicalAnd(q.gte(k));
        if (window > 0) {
            allowed = allowed.logicalAnd(q.sub(k).lt(window));
        }
        return additive(scope, allowed);
    }

    /**
     * Decoding with a KV cache: queries at absolute indices offset..offset+T-1 over keys 0..offset+T-1;
     * row b's first {@code padLengths[b]} keys are left padding and never attended.
     */
    public static NDArray forDecoding(NDManager scope, long[] padLengths, int offset, int t, int window) {
        int s = offset + t;
        NDArray pads = scope.create(padLengths).reshape(padLengths.length, 1, 1, 1, 1);
        NDArray k = scope.arange(0, s, 1, DataType.INT64).reshape(1, 1, 1, 1, s);
        NDArray q = scope.arange(offset, s, 1, DataType.INT64).reshape(1, 1, 1, t, 1);
        NDArray allowed = k.gte(pads).logicalAnd(k.lte(q));
        if (window > 0) {
            allowed = allowed.logicalAnd(q.sub(k).lt(window));
        }
        return additive(scope, allowed);
    }

    private static NDArray additive(NDManager scope, NDArray allowed) {
        NDArray m = allowed.logicalNot().toType(DataType.FLOAT32, false).mul(MASKED);
        m.attach(scope);
        return m;
    }
}
