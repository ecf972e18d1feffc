package dev.finetune.storage;

import java.io.IOException;
import java.io.OutputStream;
import java.util.UUID;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** Single-file atomic writes: write {@code <name>._tmp-<uuid>} beside the target, then rename over it. */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** What writes the content. */
    public interface Writer {
        void write(OutputStream out) throws IOException;
    }

    public static void write(FileSystem fs, Path target, byte[] content) throws IOException {
        write(fs, target, out -> out.write(content));
    }

    /**
     * Writes via a temp file and renames it into place. Readers see the old file or the new one, never a
     * partial one. Where the filesystem's rename cannot replace (Hadoop's FileSystem.rename refuses an existing
     * target), the old file is deleted just before the rename, so there is a brief moment with no file.
     */
    public static void write(FileSystem fs, Path target, Writer writer) throws IOException {
        Path t = fs.makeQualified(target);
        Path tmp = new Path(t.getParent(), t.getName() + AtomicOutput.TMP + UUID.randomUUID());
        try {
            try (FSDataOutputStream out = fs.create(tmp, false)) {
                writer.write(out);
                out.hflush();
            }
            if (!fs.rename(tmp, t)) {
                if (!fs.exists(t)) {
                    throw new IOException("could not rename " + tmp + " to " + t);
                }
                if (fs.getFileStatus(t).isDirectory()) {
                    throw new IOException("cannot write file " + t + ": a directory is in the way");
                }
                fs.delete(t, false);
                if (!fs.rename(tmp, t)) {
                    throw new IOException("could not rename " + tmp + " to " + t);
                }
            }
        } finally {
            if (fs.exists(tmp)) {
                fs.delete(tmp, false);
            }
        }
    }
}
