package dev.finetune.shards;

import java.util.Arrays;

/**
 * One row of a shard: {@code L} token ids, their segment (document within the row, 1.., 0 = padding) and
 * target flags (1 = trained on). Mutable arrays so readers can reuse one row per batch slot.
 */
public final class ShardRow {
    public final int[] ids;
    public final int[] segments;
    public final byte[] targets;

    public ShardRow(int length) {
        this(new int[length], new int[length], new byte[length]);
    }

    public ShardRow(int[] ids, int[] segments, byte[] targets) {
        if (ids.length != segments.length || ids.length != targets.length) {
            throw new IllegalArgumentException("row arrays differ in length: ids " + ids.length + ", segments "
                    + segments.length + ", targets " + targets.length);
        }
        this.ids = ids;
        this.segments = segments;
        this.targets = targets;
    }

    public int length() {
        return ids.length;
    }

    /** Number of real (non-padding) tokens. */
    public int realTokens() {
        int n = 0;
        for (int s : segments) {
            if (s != 0) {
                n++;
            }
        }
        return n;
    }

    /** Number of target tokens. */
    public int targetTokens() {
        int n = 0;
        for (byte t : targets) {
            n += t;
        }
        return n;
    }

    /** Number of segments (documents or document pieces) in this row. */
    public int segmentCount() {
        int max = 0;
        for (int s : segments) {
            max = Math.max(max, s);
        }
        return max;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof ShardRow)) {
            return false;
        }
        ShardRow r = (ShardRow) o;
        return Arrays.equals(ids, r.ids) && Arrays.equals(segments, r.segments) && Arrays.equals(targets, r.targets);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(ids) + Arrays.hashCode(segments)) + Arrays.hashCode(targets);
    }
}
