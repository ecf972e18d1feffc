package dev.finetune.trainer.train;

import java.io.IOException;

/** Random access to the fixed-length rows of one split of the token shards (see SHARD-FORMAT.md). */
public interface RowSource {

    /** Rows in the split. */
    long rows();

    /** Tokens per row (max_seq_length). */
    int length();

    /** Copies row {@code index} into the arrays at {@code offset} ({@link #length()} elements each). */
    void read(long index, int[] ids, int[] segments, byte[] targets, int offset) throws IOException;
}
