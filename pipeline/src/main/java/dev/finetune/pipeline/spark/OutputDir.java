package dev.finetune.pipeline.spark;

import dev.finetune.shards.ShardFiles;
import dev.finetune.shards.ShardFormat;
import java.io.IOException;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The output directory's life cycle: a complete output ({@code _SUCCESS}) is left alone unless overwriting;
 * the job writes into {@code <output>._tmp-<uuid>}, which is renamed into place, and {@code _SUCCESS} is
 * written last, so a killed job leaves nothing that looks complete.
 */
final class OutputDir {
    private final Path output;
    private final FileSystem fs;

    OutputDir(String output, Configuration conf) throws IOException {
        this.output = new Path(output);
        this.fs = ShardFiles.fileSystem(this.output, conf);
    }

    Path path() {
        return output;
    }

    boolean isComplete() throws IOException {
        return fs.exists(new Path(output, ShardFormat.SUCCESS));
    }

    /** A fresh temporary sibling; leftovers of killed runs (other {@code ._tmp-}) are removed first. */
    Path createTemp() throws IOException {
        Path parent = output.getParent();
        FileStatus[] stale = fs.globStatus(new Path(parent, output.getName() + "._tmp-*"));
        if (stale != null) {
            for (FileStatus s : stale) {
                fs.delete(s.getPath(), true);
            }
        }
        Path tmp = new Path(parent, output.getName() + "._tmp-" + UUID.randomUUID());
        if (!fs.mkdirs(tmp)) {
            throw new IOException("cannot create the temporary output " + tmp);
        }
        return tmp;
    }

    /**
     * Refuses to replace a directory that is not ours: an existing non-empty output must hold a manifest
     * (a complete or interrupted prepare output).
     */
    void checkReplaceable() throws IOException {
        if (!fs.exists(output)) {
            return;
        }
        FileStatus[] children = fs.listStatus(output);
        if (children.length > 0 && !fs.exists(new Path(output, ShardFormat.MANIFEST))) {
            throw new IllegalArgumentException("output: " + output + " exists and is not a prepare output "
                    + "(no manifest.json); choose another --output or remove it");
        }
    }

    /** Moves the finished temporary directory into place and writes the marker. */
    void publish(Path tmp) throws IOException {
        if (fs.exists(output) && !fs.delete(output, true)) {
            throw new IOException("cannot remove the previous output " + output);
        }
        if (!fs.rename(tmp, output)) {
            throw new IOException("cannot rename " + tmp + " to " + output);
        }
        fs.create(new Path(output, ShardFormat.SUCCESS), true).close();
    }

    void discard(Path tmp) {
        try {
            fs.delete(tmp, true);
        } catch (IOException e) {
            // The temp dir never looks complete; a later run removes it.
        }
    }
}
