package dev.finetune.pipeline.spark;

import dev.finetune.shards.ShardFiles;
import dev.finetune.shards.ShardFormat;
import dev.finetune.storage.AtomicOutput;
import java.io.IOException;
import java.time.Duration;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The output directory's life cycle over {@link AtomicOutput}: a complete output ({@code _SUCCESS}) is left
 * alone unless overwriting; the job writes into {@code <output>._tmp-<uuid>}, which is renamed into place with
 * {@code _SUCCESS} written last, so a killed job leaves nothing that looks complete. Refuses to replace a
 * directory that is not a prepare output.
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
        return AtomicOutput.isComplete(fs, output);
    }

    /** Starts the write; leftovers of killed runs ({@code ._tmp-} siblings) are removed first. */
    AtomicOutput begin(boolean overwrite) throws IOException {
        checkReplaceable();
        AtomicOutput.cleanupStale(fs, output, Duration.ZERO);
        return AtomicOutput.begin(fs, output, overwrite);
    }

    /** An existing non-empty output must hold a manifest (a complete or interrupted prepare output). */
    private void checkReplaceable() throws IOException {
        if (!fs.exists(output)) {
            return;
        }
        FileStatus[] children = fs.listStatus(output);
        if (children.length > 0 && !fs.exists(new Path(output, ShardFormat.MANIFEST))) {
            throw new IllegalArgumentException("output: " + output + " exists and is not a prepare output "
                    + "(no manifest.json); choose another --output or remove it");
        }
    }
}
