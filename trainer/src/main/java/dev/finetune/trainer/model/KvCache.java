package dev.finetune.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Keys and values of every layer for the tokens seen so far, [B, Hkv, S, Dh] each in the compute dtype,
 * plus each row's left padding. Owned by its own manager: close it when the generation ends.
 */
public final class KvCache implements AutoCloseable {
    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private final long[] padLengths;
    private int length;

    public KvCache(NDManager parent, int layers, long[] padLengths) {
        this.manager = parent.newSubManager();
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
        this.padLengths = padLengths.clone();
    }

    /** Tokens cached so far (including padding). */
    public int length() {
        return length;
    }

    public long[] padLengths() {
        return padLengths.clone();
    }

    /** Appends this step's k, v [B, Hkv, T, Dh] of {@code layer}; returns the full {k, v} up to now. */
    NDArray[] append(int layer, NDArray k, NDArray v) {
        NDArray allK = keys[layer] == null ? k.duplicate() : keys[layer].concat(k, 2);
        NDArray allV = values[layer] == null ? v.duplicate() : values[layer].concat(v, 2);
        allK.attach(manager);
        allV.attach(manager);
        if (keys[layer] != null) {
            keys[layer].close();
            values[layer].close();
        }
        keys[layer] = allK;
        values[layer] = allV;
        return new NDArray[] {allK, allV};
    }

    /** Called by the model after all layers of a step appended {@code tokens} positions. */
    void advance(int tokens) {
        length += tokens;
    }

    @Override
    public void close() {
        manager.close();
    }
}
