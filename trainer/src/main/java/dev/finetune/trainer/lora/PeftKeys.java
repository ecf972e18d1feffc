package dev.finetune.trainer.lora;

import dev.finetune.trainer.model.Projection;

/**
 * Every adapter-file key in one place. peft saves a LoRA weight of module {@code model.layers.3.self_attn.q_proj}
 * as {@code base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight} (adapter name dropped on save,
 * see peft's {@code get_peft_model_state_dict}). Module names come from {@link Projection}.
 */
public final class PeftKeys {
    private static final String PREFIX = "base_model.model.";

    private PeftKeys() {}

    /** The module's name inside the HF model, e.g. {@code model.layers.0.mlp.up_proj}. */
    public static String moduleName(int layer, String projection) {
        return Projection.named(projection).module(layer);
    }

    /** {@code base_model.model.model.layers.<i>.<block>.<proj>.lora_A.weight}. */
    public static String loraA(int layer, String projection) {
        return loraA(layer, Projection.named(projection));
    }

    /** {@code base_model.model.model.layers.<i>.<block>.<proj>.lora_B.weight}. */
    public static String loraB(int layer, String projection) {
        return loraB(layer, Projection.named(projection));
    }

    /** The key of A for projection {@code p} of layer {@code layer}. */
    public static String loraA(int layer, Projection p) {
        return PREFIX + p.module(layer) + ".lora_A.weight";
    }

    /** The key of B for projection {@code p} of layer {@code layer}. */
    public static String loraB(int layer, Projection p) {
        return PREFIX + p.module(layer) + ".lora_B.weight";
    }

    /** The key train_step.safetensors uses for a gradient: the weight key plus ".grad". */
    public static String gradient(String weightKey) {
        return weightKey + ".grad";
    }
}
