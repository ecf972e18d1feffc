package dev.finetune.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/** cos and sin tables of rotary embeddings for given positions (transformers' LlamaRotaryEmbedding.forward). */
final class Rope {
    private final float[] inverseFrequencies; // [Dh/2]

    Rope(RopeSettings settings) {
        this.inverseFrequencies = settings.inverseFrequencies();
    }

    /** positions [B, T] int64 → {cos, sin}, each [B, 1, T, Dh] in {@code type}, in {@code scope}. */
    NDList cosSin(NDManager scope, NDArray positions, DataType type) {
        long b = positions.getShape().get(0);
        long t = positions.getShape().get(1);
        NDArray inv = scope.create(inverseFrequencies).reshape(1, 1, 1, inverseFrequencies.length);
        NDArray pos = positions.toType(DataType.FLOAT32, false);
        pos.attach(scope);
        NDArray freqs = pos.reshape(new Shape(b, 1, t, 1)).mul(inv); // [B, 1, T, Dh/2]
        NDArray emb = freqs.concat(freqs, -1); // [B, 1, T, Dh]
        NDArray cos = emb.cos();
        NDArray sin = emb.sin();
        if (type != DataType.FLOAT32) {
            cos = cos.toType(type, false);
            sin = sin.toType(type, false);
        }
        return new NDList(cos, sin);
    }
}
