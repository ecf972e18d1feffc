package dev.finetune.pipeline.spark;

import dev.finetune.pipeline.ingest.Holdout;
import java.io.Serializable;

/** Which split a document of a source goes to, and its index there (closed form, see {@link Holdout}). */
final class SplitAssigner implements Serializable {
    private static final long serialVersionUID = 1L;
    static final int TRAIN = 0;
    static final int VALIDATION = 1;
    static final String[] NAMES = {"train", "validation"};

    private final int fixedSplit;
    private final Holdout holdout;

    private SplitAssigner(int fixedSplit, Holdout holdout) {
        this.fixedSplit = fixedSplit;
        this.holdout = holdout;
    }

    static SplitAssigner fixed(int split) {
        return new SplitAssigner(split, null);
    }

    static SplitAssigner holdout(Holdout holdout) {
        return new SplitAssigner(-1, holdout);
    }

    int split(long global) {
        return holdout == null ? fixedSplit : holdout.isValidation(global) ? VALIDATION : TRAIN;
    }

    long index(long global) {
        return holdout == null ? global : holdout.indexInSplit(global);
    }

    long count(int split, long total) {
        if (holdout == null) {
            return split == fixedSplit ? total : 0;
        }
        long v = holdout.validationCount(total);
        return split == VALIDATION ? v : total - v;
    }

    /** Shuffle key: split in the top byte, index within the split below. */
    static long key(int split, long index) {
        return ((long) split << 56) | index;
    }

    static int splitOf(long key) {
        return (int) (key >>> 56);
    }

    static long indexOf(long key) {
        return key & ((1L << 56) - 1);
    }
}
