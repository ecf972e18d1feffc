package dev.finetune.trainer.train;

/**
 * B shard rows of length T laid out row-major, as the model's forward takes them: token ids, segment ids
 * (0 = padding; attention stays within a segment, positions restart per segment) and target flags (1 = the
 * token is predicted from the tokens before it in its segment).
 */
public final class MicroBatch {

    public final int batch;
    public final int length;
    /** [B·T] token ids. */
    public final int[] ids;
    /** [B·T] segment ids. */
    public final int[] segments;
    /** [B·T] 1 = target. */
    public final byte[] targets;

    public MicroBatch(int batch, int length, int[] ids, int[] segments, byte[] targets) {
        if (ids.length != batch * length || segments.length != ids.length || targets.length != ids.length) {
            throw new IllegalArgumentException("micro-batch of " + batch + "×" + length + " needs arrays of "
                    + batch * length + " elements, got ids " + ids.length + ", segments " + segments.length
                    + ", targets " + targets.length);
        }
        this.batch = batch;
        this.length = length;
        this.ids = ids;
        this.segments = segments;
        this.targets = targets;
    }

    /** Reads rows {@code indices} of {@code source} into one micro-batch. */
    public static MicroBatch read(RowSource source, long[] indices) throws java.io.IOException {
        int t = source.length();
        int b = indices.length;
        int[] ids = new int[b * t];
        int[] seg = new int[b * t];
        byte[] tgt = new byte[b * t];
        for (int i = 0; i < b; i++) {
            source.read(indices[i], ids, seg, tgt, i * t);
        }
        return new MicroBatch(b, t, ids, seg, tgt);
    }

    /** Number of target tokens: this micro-batch's share of the step's loss divisor. */
    public long targetCount() {
        long n = 0;
        for (byte b : targets) {
            n += b != 0 ? 1 : 0;
        }
        return n;
    }

    /** Tokens that are not padding (for tokens/s). */
    public long realTokens() {
        long n = 0;
        for (int s : segments) {
            n += s != 0 ? 1 : 0;
        }
        return n;
    }
}
