package dev.finetune.pipeline.inspect;

import dev.finetune.shards.Manifest;
import dev.finetune.shards.ShardRow;
import dev.finetune.shards.ShardSet;
import java.io.IOException;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Renders a prepared output for people: counts per split, then rows decoded segment by segment with trained
 * tokens wrapped in {@value #OPEN} … {@value #CLOSE}. Runs of tokens are decoded separately, so a marker that
 * falls inside a multi-byte character shows as a replacement character.
 */
public final class ShardInspector {
    public static final String OPEN = "⟦";
    public static final String CLOSE = "⟧";

    private final Function<int[], String> decode;

    /** @param decode token ids → text (e.g. {@code TextTokenizer::decode}) */
    public ShardInspector(Function<int[], String> decode) {
        this.decode = decode;
    }

    public static String counts(Manifest m) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(
                Locale.ROOT,
                "max_seq_length %d, packing %s, template %s, tokenizer %s (vocab %d, " + "eos %s=%d, pad %d)%n",
                m.maxSeqLength,
                m.packing,
                m.template.kind,
                shortHash(m.tokenizer.fingerprint),
                m.tokenizer.vocabSize,
                m.tokenizer.eosToken,
                m.tokenizer.eosTokenId,
                m.tokenizer.padTokenId));
        for (Map.Entry<String, Manifest.Split> e : m.splits.entrySet()) {
            Manifest.Split s = e.getValue();
            sb.append(String.format(
                    Locale.ROOT,
                    "%s: %,d documents, %,d rows, %,d tokens, %,d trained (%.1f%%), "
                            + "%,d padding, packing efficiency %.4f, %,d split, %,d truncated, %d shards%n",
                    e.getKey(),
                    s.documents,
                    s.rows,
                    s.tokens,
                    s.lossTokens,
                    s.tokens == 0 ? 0 : 100.0 * s.lossTokens / s.tokens,
                    s.paddingTokens,
                    s.packingEfficiency,
                    s.splitDocuments,
                    s.truncatedDocuments,
                    s.shards.size()));
        }
        return sb.toString();
    }

    /** Row {@code index} of a split: one line per segment, trained spans marked. */
    public String row(ShardSet set, String split, long index) throws IOException {
        ShardRow r = set.row(split, index);
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(
                Locale.ROOT,
                "--- %s row %d: %d segments, %d tokens, %d trained, %d padding%n",
                split,
                index,
                r.segmentCount(),
                r.realTokens(),
                r.targetTokens(),
                r.length() - r.realTokens()));
        int t = 0;
        while (t < r.length() && r.segments[t] != 0) {
            int start = t;
            while (t < r.length() && r.segments[t] == r.segments[start]) {
                t++;
            }
            sb.append("[segment ")
                    .append(r.segments[start])
                    .append("] ")
                    .append(marked(r, start, t))
                    .append('\n');
        }
        return sb.toString();
    }

    /** Tokens [from, to) of a row as text, runs of targets wrapped in markers. */
    String marked(ShardRow r, int from, int to) {
        StringBuilder sb = new StringBuilder();
        int t = from;
        while (t < to) {
            int s = t;
            while (t < to && r.targets[t] == r.targets[s]) {
                t++;
            }
            String text = decode.apply(Arrays.copyOfRange(r.ids, s, t));
            sb.append(r.targets[s] == 1 ? OPEN + text + CLOSE : text);
        }
        return sb.toString();
    }

    private static String shortHash(String h) {
        return h == null ? "?" : h.substring(0, Math.min(12, h.length()));
    }
}
