package dev.finetune.trainer.cli;

import dev.finetune.shards.ShardRow;
import dev.finetune.shards.ShardSet;
import dev.finetune.trainer.train.RowSource;
import java.io.IOException;

/** One split of prepared shards as the trainer's {@link RowSource}. */
final class ShardRows implements RowSource {
    private final ShardSet set;
    private final String split;
    private final ShardRow row;

    ShardRows(ShardSet set, String split) {
        this.set = set;
        this.split = split;
        this.row = new ShardRow(set.maxSeqLength());
    }

    @Override
    public long rows() {
        return set.rows(split);
    }

    @Override
    public int length() {
        return set.maxSeqLength();
    }

    @Override
    public void read(long index, int[] ids, int[] segments, byte[] targets, int offset) throws IOException {
        set.read(split, index, row);
        System.arraycopy(row.ids, 0, ids, offset, row.ids.length);
        System.arraycopy(row.segments, 0, segments, offset, row.segments.length);
        System.arraycopy(row.targets, 0, targets, offset, row.targets.length);
    }
}
