package dev.finetune.trainer.generate;

import dev.finetune.config.GenerationConfig;
import dev.finetune.config.RunConfig;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * How to generate: the configuration's {@link GenerationConfig} (max_new_tokens, temperature, top_p, top_k, seed;
 * their defaults are RunConfig's) plus what comes from the model (end-of-sequence ids, padding) and the caller
 * (stop strings, greedy). {@link #validate()} names a bad value and its range.
 */
public final class GenerationOptions {
    private static final GenerationConfig DEFAULTS = RunConfig.defaults().generation();

    /** New tokens per prompt at most. */
    public int maxNewTokens = DEFAULTS.maxNewTokens;
    /** Always take the most likely token (temperature 0 means the same). */
    public boolean greedy = DEFAULTS.greedy();
    /** Softmax temperature for sampling. */
    public double temperature = DEFAULTS.temperature;
    /** Nucleus sampling: keep the smallest set of tokens whose probability reaches top_p (1 = off). */
    public double topP = DEFAULTS.topP;
    /** Keep only the k most likely tokens (0 = off). */
    public int topK = DEFAULTS.topK;
    /** Seed of the sampler, so a run can be repeated. */
    public long seed = DEFAULTS.seed;
    /** Token ids that end a sequence (default: the model's eos_token_id); the EOS itself is not returned. */
    public List<Long> eosTokenIds = new ArrayList<>();
    /** Texts that end a sequence once the decoded output contains them (needs a decoder). */
    public List<String> stopStrings = new ArrayList<>();
    /** Id written into left padding (masked, so any valid id works; default 0). */
    public long padTokenId = 0;

    /** The configured sampling settings (temperature 0 = greedy), validated. */
    public static GenerationOptions of(GenerationConfig g) {
        GenerationOptions o = new GenerationOptions();
        o.maxNewTokens = g.maxNewTokens;
        o.temperature = g.temperature;
        o.greedy = g.greedy();
        o.topP = g.topP;
        o.topK = g.topK;
        o.seed = g.seed;
        return o.validate();
    }

    public GenerationOptions validate() {
        if (maxNewTokens < 1 || maxNewTokens > 1_000_000) {
            throw new IllegalArgumentException("max_new_tokens = " + maxNewTokens + "; allowed 1..1000000");
        }
        if (!greedy && !(temperature >= 0 && temperature <= 100)) {
            throw new IllegalArgumentException("temperature = " + temperature + "; allowed 0..100 (0 = greedy)");
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top_p = " + topP + "; allowed (0, 1]");
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top_k = " + topK + "; allowed 0 (off) or more");
        }
        return this;
    }

    /** Whether decoding is deterministic argmax. */
    public boolean isGreedy() {
        return greedy || temperature == 0;
    }

    public List<Long> eos() {
        return Collections.unmodifiableList(eosTokenIds);
    }
}
