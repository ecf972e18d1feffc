package dev.finetune.trainer.lora;

/**
 * One projection an adapter puts a LoRA pair on: where its A and B live in the adapter file, which base weight
 * they update, and the shapes: A [r, in], B [out, r], base weight [out, in].
 */
public final class LoraTarget {
    public final int layer;
    public final String projection;
    /** Input and output features of the projection. */
    public final long in;
    public final long out;

    LoraTarget(int layer, String projection, long in, long out) {
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
        return PeftKeys.moduleName(layer, projection) + ".weight";
    }

    @Override
    public String toString() {
        return PeftKeys.moduleName(layer, projection) + " [" + out + ", " + in + "]";
    }
}
