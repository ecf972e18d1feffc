package dev.finetune.shards;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Constants and header coding of the shard file, version 1 (SHARD-FORMAT.md). */
public final class ShardFormat {
    public static final byte[] MAGIC = "FTSHARD1".getBytes(StandardCharsets.US_ASCII);
    public static final int VERSION = 1;
    public static final int HEADER_BYTES = 64;
    /** Bytes per token in a row: u32 id + u32 segment + u8 target. */
    public static final int BYTES_PER_TOKEN = 9;

    public static final String MANIFEST = "manifest.json";
    public static final String SUCCESS = "_SUCCESS";
    public static final String FORMAT_NAME = "finetune-token-shards";

    private ShardFormat() {}

    public static long rowBytes(int maxSeqLength) {
        return (long) BYTES_PER_TOKEN * maxSeqLength;
    }

    public static long fileBytes(int maxSeqLength, long rows) {
        return HEADER_BYTES + rows * rowBytes(maxSeqLength);
    }

    /** Relative path of shard {@code index} of a split, e.g. {@code train/shard-00003.bin}. */
    public static String shardPath(String split, int index) {
        return split + "/" + String.format("shard-%05d.bin", index);
    }

    static byte[] header(int maxSeqLength, long rows) {
        ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).putInt(VERSION).putInt(maxSeqLength).putLong(rows);
        return b.array();
    }

    /** Parsed header; throws naming {@code where} for a wrong magic or an unknown version. */
    static long[] parseHeader(byte[] header, String where) throws ShardFormatException {
        ByteBuffer b = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[MAGIC.length];
        b.get(magic);
        if (!java.util.Arrays.equals(magic, MAGIC)) {
            throw new ShardFormatException(where + ": not a token shard (magic "
                    + new String(magic, StandardCharsets.ISO_8859_1) + ", expected FTSHARD1)");
        }
        long version = Integer.toUnsignedLong(b.getInt());
        if (version != VERSION) {
            throw new ShardFormatException(where + ": shard format version " + version + ", this reader supports "
                    + VERSION + "; re-run `prepare` with this version or upgrade the reader");
        }
        long length = Integer.toUnsignedLong(b.getInt());
        long rows = b.getLong();
        if (length == 0 || length > Integer.MAX_VALUE / BYTES_PER_TOKEN || rows < 0) {
            throw new ShardFormatException(
                    where + ": corrupt header (max_seq_length " + length + ", rows " + rows + ")");
        }
        return new long[] {length, rows};
    }
}
