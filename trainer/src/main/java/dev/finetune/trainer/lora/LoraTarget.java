package dev.finetune.trainer.lora;

import dev.finetune.trainer.model.Projection;

/**
 * One projection an adapter puts a LoRA pair on: where its A and B live in the adapter file, which base weight
 * they update, and the shapes: A [r, in], B [out, r], base weight [out, in].
 */
public final class LoraTarget {
    public final int layer;
    public final Projection projection;
    /** Input and output features of the projection. */
    public final long in;

    public final long out;

    LoraTarget(int layer, Projection projection, long in, long out) {
        this.layer = layer;
        this.projection = projection;
        this.in = in;
        this.out = out;
    }

    /** The adapter-file key of A. */
    public String keyA() {
        return PeftKeys.loraA(layer, projection);
    }

    /** The adapter-file key of B. */
    public String keyB() {
        return PeftKeys.loraB(layer, projection);
    }

    /** The base checkpoint's weight this pair updates, e.g. {@code model.layers.0.self_attn.q_proj.weight}. */
    public String baseWeight() {
        return projection.weightKey(layer);
    }

    @Override
    public String toString() {
        return projection.module(layer) + " [" + out + ", " + in + "]";
    }
}
