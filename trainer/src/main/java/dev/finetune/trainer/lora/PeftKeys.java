package dev.finetune.trainer.lora;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * Every adapter-file key in one place. peft saves a LoRA weight of module {@code model.layers.3.self_attn.q_proj}
 * as {@code base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight} (adapter name dropped on save,
 * see peft's {@code get_peft_model_state_dict}).
 */
public final class PeftKeys {
    /** The decoder projections LoRA can target, in forward order. */
    public static final List<String> PROJECTIONS = Collections.unmodifiableList(
            Arrays.asList("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"));

    private static final String PREFIX = "base_model.model.";

    private PeftKeys() {
    }

    /** "self_attn" for q/k/v/o, "mlp" for gate/up/down. */
    public static String block(String projection) {
        switch (projection) {
            case "q_proj":
            case "k_proj":
            case "v_proj":
            case "o_proj":
                return "self_attn";
            case "gate_proj":
            case "up_proj":
            case "down_proj":
                return "mlp";
            default:
                throw new IllegalArgumentException("unknown projection '" + projection + "'; known: " + PROJECTIONS);
        }
    }

    /** The module's name inside the HF model, e.g. {@code model.layers.0.mlp.up_proj}. */
    public static String moduleName(int layer, String projection) {
        return "model.layers." + layer + "." + block(projection) + "." + projection;
    }

    /** {@code base_model.model.model.layers.<i>.<block>.<proj>.lora_A.weight}. */
    public static String loraA(int layer, String projection) {
        return PREFIX + moduleName(layer, projection) + ".lora_A.weight";
    }

    /** {@code base_model.model.model.layers.<i>.<block>.<proj>.lora_B.weight}. */
    public static String loraB(int layer, String projection) {
        return PREFIX + moduleName(layer, projection) + ".lora_B.weight";
    }

    /** The key train_step.safetensors uses for a gradient: the weight key plus ".grad". */
    public static String gradient(String weightKey) {
        return weightKey + ".grad";
    }
}
