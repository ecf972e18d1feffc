package dev.finetune.trainer.generate;

import ai.djl.ndarray.NDManager;
import dev.finetune.trainer.model.CausalLM;
import dev.finetune.trainer.model.KvCache;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Generates continuations for several prompts at once: prompts are left-padded to one length (padding is
 * masked and positions start at each prompt's first real token, so a prompt generates the same as alone),
 * the prompt is run once to fill the KV cache, then one token per step for every unfinished prompt.
 */
public final class Generator {
    private final CausalLM model;

    public Generator(CausalLM model) {
        this.model = model;
    }

    /**
     * Returns the new tokens of each prompt (without the EOS that ended it). {@code decoder} may be null
     * unless stop strings are given. A sequence ends at one of the options' EOS ids, or the model's when none are set.
     */
    public List<long[]> generate(
            List<long[]> prompts, GenerationOptions options, TokenListener listener, TokenDecoder decoder) {
        return generate(
                prompts,
                options,
                options.eosTokenIds.isEmpty() ? model.config.eosTokenIds : options.eosTokenIds,
                listener,
                decoder);
    }

    /** As {@link #generate(List, GenerationOptions, TokenListener, TokenDecoder)}, ending sequences at {@code eos}. */
    public List<long[]> generate(
            List<long[]> prompts,
            GenerationOptions options,
            List<Long> eos,
            TokenListener listener,
            TokenDecoder decoder) {
        options.validate();
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException("no prompts to generate from");
        }
        if (!options.stopStrings.isEmpty() && decoder == null) {
            throw new IllegalArgumentException("stop strings " + options.stopStrings + " need a tokenizer to decode");
        }
        int rows = prompts.size();
        int longest = 0;
        for (long[] p : prompts) {
            if (p.length == 0) {
                throw new IllegalArgumentException("an empty prompt cannot be continued; give at least one token");
            }
            longest = Math.max(longest, p.length);
        }
        long[] pads = new long[rows];
        long[] first = new long[rows * longest];
        Arrays.fill(first, options.padTokenId);
        for (int r = 0; r < rows; r++) {
            long[] p = prompts.get(r);
            pads[r] = longest - p.length;
            System.arraycopy(p, 0, first, r * longest + (int) pads[r], p.length);
        }
        List<List<Long>> out = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
            out.add(new ArrayList<>());
        }
        boolean[] done = new boolean[rows];
        Sampler sampler = new Sampler(options);
        try (NDManager scope = model.manager().newSubManager();
                KvCache cache = new KvCache(scope, model.config.numLayers, pads)) {
            long[] feed = first;
            for (int step = 0; step < options.maxNewTokens; step++) {
                float[] logits;
                try (NDManager stepScope = scope.newSubManager()) {
                    logits = model.decode(stepScope, feed, rows, cache).toFloatArray(); // [B·V]
                }
                int vocab = logits.length / rows;
                long[] next = new long[rows];
                int active = 0;
                for (int r = 0; r < rows; r++) {
                    if (done[r]) {
                        next[r] = options.padTokenId;
                        continue;
                    }
                    long id = sampler.next(Arrays.copyOfRange(logits, r * vocab, (r + 1) * vocab));
                    next[r] = id;
                    if (eos.contains(id)) {
                        finish(r, done, listener);
                        continue;
                    }
                    out.get(r).add(id);
                    listener.onToken(r, id);
                    if (step + 1 == options.maxNewTokens || hitsStop(out.get(r), options, decoder)) {
                        finish(r, done, listener);
                    } else {
                        active++;
                    }
                }
                if (active == 0) {
                    break;
                }
                feed = next;
            }
        }
        List<long[]> result = new ArrayList<>();
        for (List<Long> ids : out) {
            result.add(ids.stream().mapToLong(Long::longValue).toArray());
        }
        return result;
    }

    private static void finish(int r, boolean[] done, TokenListener listener) {
        done[r] = true;
        listener.onFinished(r);
    }

    private static boolean hitsStop(List<Long> ids, GenerationOptions options, TokenDecoder decoder) {
        if (options.stopStrings.isEmpty()) {
            return false;
        }
        String text = decoder.decode(ids.stream().mapToLong(Long::longValue).toArray());
        for (String s : options.stopStrings) {
            if (text.contains(s)) {
                return true;
            }
        }
        return false;
    }
}
