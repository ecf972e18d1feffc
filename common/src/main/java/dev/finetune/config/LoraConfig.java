package dev.finetune.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * The LoRA keys of a {@link RunConfig} (its "LoRA / QLoRA" section), as an immutable value. Built only by
 * {@link RunConfig#lora()}, so its values and defaults are RunConfig's.
 */
public final class LoraConfig {
    public final int loraR;
    public final double loraAlpha;
    public final double loraDropout;
    /** Projection names (q_proj, ...) or all-linear, one per entry. */
    public final List<String> loraTargetModules;

    public final boolean useRslora;

    LoraConfig(RunConfig c) {
        loraR = c.loraR;
        loraAlpha = c.loraAlpha;
        loraDropout = c.loraDropout;
        loraTargetModules = Collections.unmodifiableList(splitCommas(c.loraTargetModules));
        useRslora = c.useRslora;
    }

    /** The values under their configuration keys. */
    public Map<String, Object> toMap() {
        return ConfigSchema.get().valuesOf(this);
    }

    /** "q_proj,v_proj" in one entry becomes two entries. */
    private static List<String> splitCommas(List<String> modules) {
        List<String> out = new ArrayList<>();
        for (String m : modules) {
            for (String part : m.split(",")) {
                if (!part.trim().isEmpty()) {
                    out.add(part.trim());
                }
            }
        }
        return out;
    }
}
