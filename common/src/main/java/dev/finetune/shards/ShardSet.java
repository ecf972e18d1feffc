package dev.finetune.shards;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A published prepare output: the manifest plus random access by global row index across the shards of a
 * split. Refuses a directory without {@code _SUCCESS} (a job that did not finish) and shards whose header
 * disagrees with the manifest. Shard files are opened lazily and kept open until {@link #close()}.
 */
public final class ShardSet implements AutoCloseable {
    private final Path dir;
    private final Configuration conf;
    private final Manifest manifest;
    private final Map<String, long[]> rowStarts = new LinkedHashMap<>();
    private final Map<String, ShardReader[]> readers = new LinkedHashMap<>();

    private ShardSet(Path dir, Configuration conf, Manifest manifest) {
        this.dir = dir;
        this.conf = conf;
        this.manifest = manifest;
        for (Map.Entry<String, Manifest.Split> e : manifest.splits.entrySet()) {
            List<Manifest.Shard> shards = e.getValue().shards;
            long[] starts = new long[shards.size() + 1];
            for (int i = 0; i < shards.size(); i++) {
                starts[i + 1] = starts[i] + shards.get(i).rows;
            }
            rowStarts.put(e.getKey(), starts);
            readers.put(e.getKey(), new ShardReader[shards.size()]);
        }
    }

    /** Opens a prepared output directory; throws if it is incomplete or its manifest is not version 1. */
    public static ShardSet open(Path dir, Configuration conf) throws IOException {
        FileSystem fs = ShardFiles.fileSystem(dir, conf);
        if (!fs.exists(dir)) {
            throw new ShardFormatException(dir + ": no such prepared output; run `prepare` first");
        }
        if (!fs.exists(new Path(dir, ShardFormat.SUCCESS))) {
            throw new ShardFormatException(dir + ": incomplete output (no _SUCCESS marker): the prepare job did "
                    + "not finish; re-run `prepare` with --overwrite");
        }
        return new ShardSet(dir, conf, Manifest.read(new Path(dir, ShardFormat.MANIFEST), conf));
    }

    public Manifest manifest() {
        return manifest;
    }

    public Path dir() {
        return dir;
    }

    public int maxSeqLength() {
        return manifest.maxSeqLength;
    }

    public List<String> splits() {
        return new ArrayList<>(manifest.splits.keySet());
    }

    public boolean hasSplit(String split) {
        return manifest.splits.containsKey(split);
    }

    /** Rows in a split, across all its shards. */
    public long rows(String split) {
        long[] starts = starts(split);
        return starts[starts.length - 1];
    }

    public ShardRow row(String split, long index) throws IOException {
        ShardRow r = new ShardRow(manifest.maxSeqLength);
        read(split, index, r);
        return r;
    }

    /** Reads row {@code index} (0 ≤ index < rows(split), in shard order) of a split into {@code into}. */
    public void read(String split, long index, ShardRow into) throws IOException {
        long[] starts = starts(split);
        if (index < 0 || index >= starts[starts.length - 1]) {
            throw new IndexOutOfBoundsException(
                    dir + ": row " + index + " of split " + split + " outside [0, " + starts[starts.length - 1] + ")");
        }
        int pos = Arrays.binarySearch(starts, index);
        int shard = pos >= 0 ? pos : -pos - 2;
        while (starts[shard + 1] == starts[shard]) { // skip empty shards sharing a start
            shard++;
        }
        reader(split, shard).read(index - starts[shard], into);
    }

    /** Recomputes every shard's sha256 and compares it with the manifest; throws naming the first mismatch. */
    public void verifyChecksums() throws IOException {
        FileSystem fs = ShardFiles.fileSystem(dir, conf);
        byte[] buf = new byte[1 << 20];
        for (Manifest.Split split : manifest.splits.values()) {
            for (Manifest.Shard s : split.shards) {
                Path file = new Path(dir, s.file);
                if (!fs.exists(file)) {
                    throw new ShardFormatException(file + " is missing, though manifest.json lists it; the data "
                            + "folder is incomplete: re-run `prepare` with --overwrite");
                }
                long size = fs.getFileStatus(file).getLen();
                if (s.bytes > 0 && size != s.bytes) {
                    throw new ShardFormatException(
                            file + " is " + (size < s.bytes ? "truncated" : "longer than written") + ": " + size
                                    + " bytes, manifest.json says " + s.bytes + "; re-run `prepare` with --overwrite");
                }
                MessageDigest md = sha256();
                try (InputStream in = fs.open(new Path(dir, s.file))) {
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        md.update(buf, 0, n);
                    }
                }
                String actual = Manifest.hex(md.digest());
                if (!actual.equals(s.sha256)) {
                    throw new ShardFormatException(new Path(dir, s.file) + ": sha256 " + actual + ", manifest says "
                            + s.sha256 + "; the file was modified or corrupted, re-run `prepare` with --overwrite");
                }
            }
        }
    }

    private long[] starts(String split) {
        long[] starts = rowStarts.get(split);
        if (starts == null) {
            throw new IllegalArgumentException(dir + ": no split \"" + split + "\"; it has " + rowStarts.keySet());
        }
        return starts;
    }

    private synchronized ShardReader reader(String split, int shard) throws IOException {
        ShardReader[] rs = readers.get(split);
        if (rs[shard] == null) {
            Manifest.Shard s = manifest.splits.get(split).shards.get(shard);
            ShardReader r;
            try {
                r = new ShardReader(new Path(dir, s.file), conf);
            } catch (java.io.FileNotFoundException e) {
                throw new ShardFormatException(new Path(dir, s.file) + " is missing, though manifest.json lists it: "
                        + "the prepared output is incomplete; re-run `prepare` with --overwrite");
            }
            if (r.maxSeqLength() != manifest.maxSeqLength || r.rows() != s.rows) {
                r.close();
                throw new ShardFormatException(r.path() + ": header says " + r.rows() + " rows of "
                        + r.maxSeqLength() + " tokens, manifest says " + s.rows + " rows of "
                        + manifest.maxSeqLength + "; the output is inconsistent, re-run `prepare`");
            }
            rs[shard] = r;
        }
        return rs[shard];
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JVM", e);
        }
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (ShardReader[] rs : readers.values()) {
            for (int i = 0; i < rs.length; i++) {
                if (rs[i] != null) {
                    try {
                        rs[i].close();
                    } catch (IOException e) {
                        first = first == null ? e : first;
                    }
                    rs[i] = null;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
