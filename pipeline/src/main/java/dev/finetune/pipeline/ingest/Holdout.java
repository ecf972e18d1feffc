package dev.finetune.pipeline.ingest;

import java.io.Serializable;
import java.util.Random;

/**
 * Deterministic train/validation assignment of documents by their global index. Documents are taken in
 * blocks of {@link #BLOCK}; in each block the same pseudo-random {@code round(fraction·BLOCK)} positions
 * (chosen by {@code seed}) go to validation. Because the pattern repeats, every document's index within its
 * split is a closed-form function of its global index: no extra pass over the data, whatever the partitioning.
 */
public final class Holdout implements Serializable {
    private static final long serialVersionUID = 1L;
    public static final int BLOCK = 1000;

    private final int held;
    /** For each position in a block: its rank among the positions of the same split. */
    private final int[] rank = new int[BLOCK];

    private final boolean[] validation = new boolean[BLOCK];

    public Holdout(double fraction, long seed) {
        if (!(fraction >= 0 && fraction < 1)) {
            throw new IllegalArgumentException("holdout_fraction: " + fraction + ", must be in [0, 1)");
        }
        this.held = (int) Math.round(fraction * BLOCK);
        int[] positions = new int[BLOCK];
        for (int i = 0; i < BLOCK; i++) {
            positions[i] = i;
        }
        Random rnd = new Random(seed);
        for (int i = BLOCK - 1; i > 0; i--) { // Fisher–Yates, the first `held` go to validation
            int j = rnd.nextInt(i + 1);
            int t = positions[i];
            positions[i] = positions[j];
            positions[j] = t;
        }
        for (int i = 0; i < held; i++) {
            validation[positions[i]] = true;
        }
        int v = 0;
        int t = 0;
        for (int i = 0; i < BLOCK; i++) {
            rank[i] = validation[i] ? v++ : t++;
        }
    }

    public boolean isValidation(long globalIndex) {
        return validation[(int) (globalIndex % BLOCK)];
    }

    /** The document's index within its split (train or validation). */
    public long indexInSplit(long globalIndex) {
        long block = globalIndex / BLOCK;
        int pos = (int) (globalIndex % BLOCK);
        return block * (validation[pos] ? held : BLOCK - held) + rank[pos];
    }

    /** How many of the first {@code total} documents go to validation. */
    public long validationCount(long total) {
        long full = total / BLOCK;
        long count = full * held;
        int rest = (int) (total % BLOCK);
        for (int i = 0; i < rest; i++) {
            count += validation[i] ? 1 : 0;
        }
        return count;
    }
}
