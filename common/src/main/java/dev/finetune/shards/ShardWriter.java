package dev.finetune.shards;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Writes one shard file of exactly {@code rows} rows to a Hadoop path. The row count goes into the header
 * first because object stores (gs://) cannot seek back; {@link #close()} refuses a shard with fewer rows than
 * declared. The sha256 of the whole file is computed while writing.
 */
public final class ShardWriter implements AutoCloseable {
    private final Path path;
    private final int maxSeqLength;
    private final long rows;
    private final MessageDigest digest;
    private final OutputStream out;
    private final ByteBuffer rowBuffer;
    private long written;
    private boolean closed;
    private String sha256;

    public ShardWriter(Path path, Configuration conf, int maxSeqLength, long rows) throws IOException {
        if (maxSeqLength <= 0 || rows < 0) {
            throw new IllegalArgumentException(
                    "shard " + path + ": max_seq_length " + maxSeqLength + " and rows " + rows + " must be positive");
        }
        this.path = path;
        this.maxSeqLength = maxSeqLength;
        this.rows = rows;
        try {
            this.digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JVM", e);
        }
        FileSystem fs = ShardFiles.fileSystem(path, conf);
        this.out = new DigestOutputStream(fs.create(path, true, 1 << 20), digest);
        this.rowBuffer =
                ByteBuffer.allocate((int) ShardFormat.rowBytes(maxSeqLength)).order(ByteOrder.LITTLE_ENDIAN);
        out.write(ShardFormat.header(maxSeqLength, rows));
    }

    public void write(ShardRow row) throws IOException {
        if (row.length() != maxSeqLength) {
            throw new IllegalArgumentException("shard " + path + ": row of " + row.length()
                    + " tokens, the shard's max_seq_length is " + maxSeqLength);
        }
        if (written == rows) {
            throw new IllegalStateException("shard " + path + ": more than the declared " + rows + " rows");
        }
        rowBuffer.clear();
        rowBuffer.asIntBuffer().put(row.ids);
        rowBuffer.position(4 * maxSeqLength);
        rowBuffer.slice().order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().put(row.segments);
        rowBuffer.position(8 * maxSeqLength);
        rowBuffer.put(row.targets);
        out.write(rowBuffer.array(), 0, rowBuffer.capacity());
        written++;
    }

    /** Closes the file; a shard short of its declared rows is an error (the header would lie). */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        out.close();
        sha256 = Manifest.hex(digest.digest());
        if (written != rows) {
            throw new IllegalStateException("shard " + path + ": " + written + " rows written, " + rows + " declared");
        }
    }

    /** The entry describing this shard in manifest.json; call after {@link #close()}. */
    public Manifest.Shard describe(String relativeFile) {
        if (!closed) {
            throw new IllegalStateException("shard " + path + ": describe() before close()");
        }
        Manifest.Shard s = new Manifest.Shard();
        s.file = relativeFile;
        s.rows = rows;
        s.bytes = ShardFormat.fileBytes(maxSeqLength, rows);
        s.sha256 = sha256;
        return s;
    }
}
