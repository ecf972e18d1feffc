package dev.finetune.trainer.model;

/**
 * One micro-batch of fixed-length rows as the shard format defines them (common/SHARD-FORMAT.md), host side:
 * token ids, segment ids (0 = padding; attention never crosses a segment) and targets (1 = token t is
 * predicted from tokens < t of its segment). Positions restart at 0 at each new segment.
 */
public final class TrainingBatch {
    public final int rows;
    public final int length;
    final long[] ids; // [B·T]
    final long[] segments; // [B·T]
    final long[] positions; // [B·T]
    final boolean[] targets; // [B·T]

    private TrainingBatch(int rows, int length, long[] ids, long[] segments, boolean[] targets) {
        this.rows = rows;
        this.length = length;
        int n = rows * length;
        if (ids.length != n || segments.length != n || targets.length != n) {
            throw new IllegalArgumentException("a batch of " + rows + " × " + length + " needs " + n
                    + " ids, segments and targets; got " + ids.length + ", " + segments.length + ", " + targets.length);
        }
        this.ids = ids;
        this.segments = segments;
        this.targets = targets;
        this.positions = new long[n];
        for (int r = 0; r < rows; r++) {
            long pos = 0;
            for (int t = 0; t < length; t++) {
                int i = r * length + t;
                if (t > 0 && segments[i] != segments[i - 1]) {
                    pos = 0;
                }
                positions[i] = pos++;
                if (targets[i] && (t == 0 || segments[i] == 0 || segments[i] != segments[i - 1])) {
                    throw new IllegalArgumentException(
                            "row " + r + " token " + t + " is a target but is the first token"
                                    + " of its segment or padding; nothing before it in the segment can predict it");
                }
            }
        }
    }

    /** Rows of ids, segments and targets, row-major [rows·length]. */
    public static TrainingBatch of(int rows, int length, long[] ids, long[] segments, boolean[] targets) {
        return new TrainingBatch(rows, length, ids.clone(), segments.clone(), targets.clone());
    }

    /**
     * From Hugging Face style {@code labels} (-100 = ignored, label at t is token t predicted from < t,
     * labels[0] never used): one segment per row, target[t] = labels[t] != -100 for t ≥ 1.
     */
    public static TrainingBatch fromLabels(long[][] ids, long[][] labels) {
        int rows = ids.length;
        int length = ids[0].length;
        long[] flat = new long[rows * length];
        long[] seg = new long[rows * length];
        boolean[] tgt = new boolean[rows * length];
        for (int r = 0; r < rows; r++) {
            for (int t = 0; t < length; t++) {
                int i = r * length + t;
                flat[i] = ids[r][t];
                seg[i] = 1;
                if (t > 0 && labels[r][t] != -100) {
                    if (labels[r][t] != ids[r][t]) {
                        throw new IllegalArgumentException("row " + r + " token " + t + ": label " + labels[r][t]
                                + " differs from the input id " + ids[r][t] + "; labels must be the ids or -100");
                    }
                    tgt[i] = true;
                }
            }
        }
        return new TrainingBatch(rows, length, flat, seg, tgt);
    }

    /** Whether every row is a single document without padding: one nonzero segment id throughout the row. */
    boolean oneDocumentPerRow() {
        for (int r = 0; r < rows; r++) {
            long first = segments[r * length];
            for (int t = 0; t < length; t++) {
                if (segments[r * length + t] != first || first == 0) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * The documents' cumulative lengths over the rows·length tokens taken row by row: 0, then the end of each run of
     * one segment id within a row (a row's start always starts a run; a padding run counts as one), ending at
     * rows·length. What the variable-length attention kernel takes instead of a mask.
     */
    int[] documentBounds() {
        int n = rows * length;
        int count = 0;
        for (int i = 0; i < n; i++) {
            if (i % length == 0 || segments[i] != segments[i - 1]) {
                count++;
            }
        }
        int[] bounds = new int[count + 1];
        int k = 0;
        for (int i = 0; i < n; i++) {
            if (i % length == 0 || segments[i] != segments[i - 1]) {
                bounds[k++] = i;
            }
        }
        bounds[k] = n;
        return bounds;
    }

    /** Number of target tokens. */
    public int targetCount() {
        int n = 0;
        for (boolean b : targets) {
            n += b ? 1 : 0;
        }
        return n;
    }
}
