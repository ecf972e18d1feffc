package dev.finetune.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * The generation keys of a {@link RunConfig} (its "Generation" section), as an immutable value the generator
 * receives. Built only by {@link RunConfig#generation()}, so its values and defaults are RunConfig's.
 */
public final class GenerationConfig {
    public final int maxNewTokens;
    /** 0 means greedy decoding. */
    public final double temperature;

    public final double topP;
    /** 0 turns top-k off. */
    public final int topK;

    public final List<String> prompts;
    /** The sampler's seed (the run's seed). */
    public final long seed;

    GenerationConfig(RunConfig c) {
        maxNewTokens = c.maxNewTokens;
        temperature = c.temperature;
        topP = c.topP;
        topK = c.topK;
        prompts = Collections.unmodifiableList(new ArrayList<>(c.prompts));
        seed = c.seed;
    }

    /** Whether decoding takes the most likely token (temperature 0). */
    public boolean greedy() {
        return temperature == 0;
    }

    /** The values under their configuration keys. */
    public Map<String, Object> toMap() {
        return ConfigSchema.get().valuesOf(this);
    }
}
