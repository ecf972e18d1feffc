package dev.finetune.shards;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShardSetTest {
    private static final int L = 7;
    private final Configuration conf = new Configuration();

    @TempDir
    java.nio.file.Path tmp;

    private static ShardRow randomRow(Random rnd) {
        ShardRow r = new ShardRow(L);
        int seg = 1;
        for (int t = 0; t < L; t++) {
            r.ids[t] = rnd.nextInt(200_000); // above 65,535: ids are u32
            r.segments[t] = seg;
            r.targets[t] = (byte) rnd.nextInt(2);
            if (rnd.nextInt(3) == 0) {
                seg++;
            }
        }
        return r;
    }

    /** Writes shards of the given row counts as split "train", manifest and (optionally) _SUCCESS. */
    private List<ShardRow> writeOutput(java.nio.file.Path dir, int[] shardRows, boolean success) throws IOException {
        Random rnd = new Random(42);
        List<ShardRow> all = new ArrayList<>();
        Manifest m = new Manifest();
        m.maxSeqLength = L;
        Manifest.Split split = new Manifest.Split();
        for (int s = 0; s < shardRows.length; s++) {
            String rel = ShardFormat.shardPath("train", s);
            try (ShardWriter w = new ShardWriter(new Path(dir.toString(), rel), conf, L, shardRows[s])) {
                for (int i = 0; i < shardRows[s]; i++) {
                    ShardRow r = randomRow(rnd);
                    all.add(r);
                    w.write(r);
                }
                w.close();
                split.shards.add(w.describe(rel));
            }
            split.rows += shardRows[s];
        }
        m.splits.put("train", split);
        m.write(new Path(dir.toString(), ShardFormat.MANIFEST), conf);
        if (success) {
            Files.createFile(dir.resolve(ShardFormat.SUCCESS));
        }
        return all;
    }

    @Test
    void rowsReadByGlobalIndexAcrossShardsEqualTheRowsWritten() throws IOException {
        List<ShardRow> written = writeOutput(tmp, new int[] {3, 0, 5, 1}, true);
        try (ShardSet set = ShardSet.open(new Path(tmp.toString()), conf)) {
            assertEquals(9, set.rows("train"));
            for (int i = 0; i < written.size(); i++) {
                assertEquals(written.get(i), set.row("train", i), "row " + i);
            }
            set.verifyChecksums();
            assertThrows(IndexOutOfBoundsException.class, () -> set.row("train", 9));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> set.rows("validation"));
            assertTrue(e.getMessage().contains("no split \"validation\""), e.getMessage());
        }
    }

    @Test
    void shardBytesFollowTheDocumentedLayout() throws IOException {
        // Decodes the file by SHARD-FORMAT.md alone, independently of ShardReader.
        List<ShardRow> written = writeOutput(tmp, new int[] {4}, true);
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(tmp.resolve("train/shard-00000.bin")))
                .order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(64 + 4 * 9 * L, b.capacity());
        byte[] magic = new byte[8];
        b.get(magic);
        assertEquals("FTSHARD1", new String(magic, java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals(1, b.getInt(8));
        assertEquals(L, b.getInt(12));
        assertEquals(4L, b.getLong(16));
        for (int i = 24; i < 64; i++) {
            assertEquals(0, b.get(i), "reserved byte " + i);
        }
        for (int r = 0; r < 4; r++) {
            int base = 64 + r * 9 * L;
            ShardRow expect = written.get(r);
            for (int t = 0; t < L; t++) {
                assertEquals(expect.ids[t], b.getInt(base + 4 * t));
                assertEquals(expect.segments[t], b.getInt(base + 4 * L + 4 * t));
                assertEquals(expect.targets[t], b.get(base + 8 * L + t));
            }
        }
    }

    @Test
    void anOutputWithoutSuccessMarkerIsRefused() throws IOException {
        writeOutput(tmp, new int[] {2}, false);
        ShardFormatException e =
                assertThrows(ShardFormatException.class, () -> ShardSet.open(new Path(tmp.toString()), conf));
        assertTrue(e.getMessage().contains("no _SUCCESS"), e.getMessage());
    }

    @Test
    void aTruncatedShardIsRefusedNamingItsExpectedSize() throws IOException {
        writeOutput(tmp, new int[] {2}, true);
        try (RandomAccessFile f =
                new RandomAccessFile(tmp.resolve("train/shard-00000.bin").toFile(), "rw")) {
            f.setLength(f.length() - 1);
        }
        try (ShardSet set = ShardSet.open(new Path(tmp.toString()), conf)) {
            ShardFormatException e = assertThrows(ShardFormatException.class, () -> set.row("train", 0));
            assertTrue(e.getMessage().contains("truncated"), e.getMessage());
            assertTrue(e.getMessage().contains("shard-00000.bin"), e.getMessage());
        }
    }

    @Test
    void wrongMagicAndUnknownVersionAreRefused() throws IOException {
        writeOutput(tmp, new int[] {1}, true);
        Path shard = new Path(tmp.resolve("train/shard-00000.bin").toString());
        try (RandomAccessFile f = new RandomAccessFile(shard.toString(), "rw")) {
            f.seek(8);
            f.write(new byte[] {2, 0, 0, 0});
        }
        ShardFormatException v = assertThrows(ShardFormatException.class, () -> new ShardReader(shard, conf));
        assertTrue(v.getMessage().contains("version 2"), v.getMessage());
        try (RandomAccessFile f = new RandomAccessFile(shard.toString(), "rw")) {
            f.seek(0);
            f.write('X');
        }
        ShardFormatException m = assertThrows(ShardFormatException.class, () -> new ShardReader(shard, conf));
        assertTrue(m.getMessage().contains("not a token shard"), m.getMessage());
    }

    @Test
    void aModifiedShardFailsTheChecksum() throws IOException {
        writeOutput(tmp, new int[] {2}, true);
        try (RandomAccessFile f =
                new RandomAccessFile(tmp.resolve("train/shard-00000.bin").toFile(), "rw")) {
            f.seek(70);
            f.write(f.read() ^ 1);
        }
        try (ShardSet set = ShardSet.open(new Path(tmp.toString()), conf)) {
            ShardFormatException e = assertThrows(ShardFormatException.class, set::verifyChecksums);
            assertTrue(e.getMessage().contains("sha256"), e.getMessage());
        }
    }

    @Test
    void aWriterShortOfItsDeclaredRowsFailsOnClose() throws IOException {
        ShardWriter w = new ShardWriter(new Path(tmp.resolve("x.bin").toString()), conf, L, 2);
        w.write(randomRow(new Random(1)));
        assertThrows(IllegalStateException.class, w::close);
    }

    @Test
    void manifestRoundTripsThroughJson() throws IOException {
        writeOutput(tmp, new int[] {2, 3}, true);
        Manifest m = Manifest.read(new Path(tmp.resolve(ShardFormat.MANIFEST).toString()), conf);
        assertEquals(L, m.maxSeqLength);
        assertEquals(2, m.splits.get("train").shards.size());
        String json = new String(Files.readAllBytes(tmp.resolve(ShardFormat.MANIFEST)), "UTF-8");
        assertTrue(json.contains("\"max_seq_length\" : 7"), json);
        assertTrue(json.contains("\"format_version\" : 1"), json);
        assertArrayEquals(
                new long[] {2, 3},
                m.splits.get("train").shards.stream().mapToLong(s -> s.rows).toArray());
    }
}
