package dev.finetune.trainer.generate;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** How to generate; every field has a default, {@link #validate()} names a bad value and its range. */
public final class GenerationOptions {
    /** New tokens per prompt at most (default 256). */
    public int maxNewTokens = 256;
    /** Always take the most likely token (default false; temperature 0 means the same). */
    public boolean greedy = false;
    /** Softmax temperature for sampling (default 0.7). */
    public double temperature = 0.7;
    /** Nucleus sampling: keep the smallest set of tokens whose probability reaches top_p (default 1 = off). */
    public double topP = 1.0;
    /** Keep only the k most likely tokens (default 0 = off). */
    public int topK = 0;
    /** Seed of the sampler (default 0), so a run can be repeated. */
    public long seed = 0;
    /** Token ids that end a sequence (default: the model's eos_token_id); the EOS itself is not returned. */
    public List<Long> eosTokenIds = new ArrayList<>();
    /** Texts that end a sequence once the decoded output contains them (needs a decoder). */
    public List<String> stopStrings = new ArrayList<>();
    /** Id written into left padding (masked, so any valid id works; default 0). */
    public long padTokenId = 0;

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
