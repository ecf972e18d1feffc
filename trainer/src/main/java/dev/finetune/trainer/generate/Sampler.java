package dev.finetune.trainer.generate;

import java.util.Arrays;
import java.util.Random;

/**
 * Picks the next token from one row of logits on the host: argmax, or softmax(logits / temperature)
 * restricted to the top k and then to the top-p nucleus, in the order transformers' logits warpers apply
 * them (temperature, top-k, top-p).
 */
public final class Sampler {
    private final GenerationOptions options;
    private final Random random;

    public Sampler(GenerationOptions options) {
        this.options = options;
        this.random = new Random(options.seed);
    }

    public int next(float[] logits) {
        if (options.isGreedy()) {
            return argMax(logits);
        }
        int v = logits.length;
        Integer[] order = new Integer[v];
        for (int i = 0; i < v; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Float.compare(logits[b], logits[a]));
        int keep = options.topK > 0 ? Math.min(options.topK, v) : v;
        double max = logits[order[0]];
        double[] p = new double[keep];
        double sum = 0;
        for (int i = 0; i < keep; i++) {
            p[i] = Math.exp((logits[order[i]] - max) / options.temperature);
            sum += p[i];
        }
        // nucleus: the smallest prefix whose mass reaches top_p (always at least one token)
        double cumulative = 0;
        int nucleus = keep;
        for (int i = 0; i < keep; i++) {
            cumulative += p[i] / sum;
            if (cumulative >= options.topP) {
                nucleus = i + 1;
                break;
            }
        }
        double mass = 0;
        for (int i = 0; i < nucleus; i++) {
            mass += p[i];
        }
        double u = random.nextDouble() * mass;
        for (int i = 0; i < nucleus; i++) {
            u -= p[i];
            if (u <= 0) {
                return order[i];
            }
        }
        return order[nucleus - 1];
    }

    /** Index of the largest value, the first one on ties (as torch.argmax). */
    public static int argMax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }
}
