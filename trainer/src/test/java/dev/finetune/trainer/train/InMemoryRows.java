package dev.finetune.trainer.train;

/**
 * Rows for loop tests: each row packs two documents that follow t' = (a·t + c) mod V (a learnable bigram
 * pattern), the first token of each document not a target, with padding at the end.
 */
final class InMemoryRows implements RowSource {

    private final int rows;
    private final int length;
    private final int vocab;

    InMemoryRows(int rows, int length, int vocab) {
        this.rows = rows;
        this.length = length;
        this.vocab = vocab;
    }

    @Override
    public long rows() {
        return rows;
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public void read(long index, int[] ids, int[] segments, byte[] targets, int offset) {
        int firstLen = 3 + (int) (index % (length / 2 - 2));
        int secondLen = length - firstLen - 2;
        int t = (int) (index * 7 % vocab);
        for (int i = 0; i < length; i++) {
            int seg = i < firstLen ? 1 : (i < firstLen + secondLen ? 2 : 0);
            boolean first = i == 0 || i == firstLen;
            if (i == firstLen) {
                t = (int) ((index * 13 + 5) % vocab);
            }
            ids[offset + i] = seg == 0 ? 0 : t;
            segments[offset + i] = seg;
            targets[offset + i] = (byte) (seg != 0 && !first ? 1 : 0);
            t = (5 * t + 3) % vocab;
        }
    }
}
