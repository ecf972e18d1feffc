package dev.finetune.trainer.train;

import dev.finetune.shards.ShardRow;
import dev.finetune.shards.ShardSet;
import java.io.IOException;

/** One split of a {@link ShardSet} (the pipeline's token shards, read without Spark) as rows for the loop. */
public final class ShardRowSource implements RowSource {

    private final ShardSet shards;
    private final String split;
    private final ShardRow scratch;

    public ShardRowSource(ShardSet shards, String split) {
        if (!shards.hasSplit(split)) {
            throw new IllegalArgumentException(shards.dir() + " has no '" + split + "' split (it has " + shards.splits()
                    + "); re-run prepare with that split");
        }
        this.shards = shards;
        this.split = split;
        this.scratch = new ShardRow(shards.maxSeqLength());
    }

    @Override
    public long rows() {
        return shards.rows(split);
    }

    @Override
    public int length() {
        return shards.maxSeqLength();
    }

    @Override
    public synchronized void read(long index, int[] ids, int[] segments, byte[] targets, int offset)
            throws IOException {
        shards.read(split, index, scratch);
        int n = scratch.length();
        System.arraycopy(scratch.ids, 0, ids, offset, n);
        System.arraycopy(scratch.segments, 0, segments, offset, n);
        System.arraycopy(scratch.targets, 0, targets, offset, n);
    }
}
