package dev.finetune.config;

import java.util.Map;

/**
 * The runtime keys of a {@link RunConfig} (its "Runtime" section: where the steps run), as an immutable value.
 * Built only by {@link RunConfig#runtime()}, so its values and defaults are RunConfig's.
 */
public final class RuntimeConfig {
    /** auto, cpu, gpu or gpuN. */
    public final String device;

    public final int worldSize;
    public final String sparkMaster;

    RuntimeConfig(RunConfig c) {
        device = c.device;
        worldSize = c.worldSize;
        sparkMaster = c.sparkMaster;
    }

    /** The values under their configuration keys. */
    public Map<String, Object> toMap() {
        return ConfigSchema.get().valuesOf(this);
    }
}
