package dev.finetune.config;

import java.util.Map;

/**
 * The base-model keys of a {@link RunConfig} (its "Base model" section: which model, and how it is loaded), as an
 * immutable value. Built only by {@link RunConfig#baseModel()}, so its values and defaults are RunConfig's.
 */
public final class BaseModelConfig {
    /** A Hub id or a folder, as the user wrote it (the CLI resolves it to a local folder). */
    public final String baseModelId;

    public final String modelRevision;
    /** NF4 base weights. */
    public final boolean use4bit;

    public final boolean doubleQuant;
    /** auto, fp16 or fp32. */
    public final String computeDtype;
    /** sdpa or eager. */
    public final String attnImplementation;

    BaseModelConfig(RunConfig c) {
        baseModelId = c.baseModelId;
        modelRevision = c.modelRevision;
        use4bit = c.use4bit;
        doubleQuant = c.doubleQuant;
        computeDtype = c.computeDtype;
        attnImplementation = c.attnImplementation;
    }

    /** The values under their configuration keys. */
    public Map<String, Object> toMap() {
        return ConfigSchema.get().valuesOf(this);
    }
}
