package dev.finetune.shards;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Random access to the rows of one shard file through a Hadoop path. The constructor validates the magic,
 * the version and that the file size is exactly 64 + N·9L. Reads are positional and synchronized, so one
 * reader may be shared by threads.
 */
public final class ShardReader implements AutoCloseable {
    private final Path path;
    private final FSDataInputStream in;
    private final int maxSeqLength;
    private final long rows;
    private final byte[] rowBytes;

    public ShardReader(Path path, Configuration conf) throws IOException {
        this.path = path;
        FileSystem fs = ShardFiles.fileSystem(path, conf);
        long size = fs.getFileStatus(path).getLen();
        if (size < ShardFormat.HEADER_BYTES) {
            throw new ShardFormatException(path + ": " + size + " bytes, shorter than the 64-byte header; "
                    + "the shard is truncated, re-run `prepare`");
        }
        this.in = fs.open(path);
        byte[] header = new byte[ShardFormat.HEADER_BYTES];
        try {
            in.readFully(0, header);
            long[] h = ShardFormat.parseHeader(header, path.toString());
            this.maxSeqLength = (int) h[0];
            this.rows = h[1];
            long expected = ShardFormat.fileBytes(maxSeqLength, rows);
            if (size != expected) {
                throw new ShardFormatException(path + ": " + size + " bytes, but the header's " + rows + " rows of "
                        + maxSeqLength + " tokens need 64 + " + rows + "·9·" + maxSeqLength + " = " + expected
                        + "; the shard is truncated or corrupt, re-run `prepare`");
            }
        } catch (IOException | RuntimeException e) {
            in.close();
            throw e;
        }
        this.rowBytes = new byte[(int) ShardFormat.rowBytes(maxSeqLength)];
    }

    public int maxSeqLength() {
        return maxSeqLength;
    }

    public long rows() {
        return rows;
    }

    public Path path() {
        return path;
    }

    public ShardRow read(long row) throws IOException {
        ShardRow r = new ShardRow(maxSeqLength);
        read(row, r);
        return r;
    }

    /** Reads row {@code row} into {@code into} (whose length must be max_seq_length). */
    public synchronized void read(long row, ShardRow into) throws IOException {
        if (row < 0 || row >= rows) {
            throw new IndexOutOfBoundsException(path + ": row " + row + " outside [0, " + rows + ")");
        }
        if (into.length() != maxSeqLength) {
            throw new IllegalArgumentException(
                    path + ": row buffer of " + into.length() + " tokens, shard has " + maxSeqLength);
        }
        in.readFully(ShardFormat.HEADER_BYTES + row * rowBytes.length, rowBytes);
        ByteBuffer b = ByteBuffer.wrap(rowBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().get(into.ids);
        b.position(4 * maxSeqLength);
        b.slice().order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(into.segments);
        System.arraycopy(rowBytes, 8 * maxSeqLength, into.targets, 0, maxSeqLength);
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
