package dev.finetune.trainer.train;

import dev.finetune.storage.RunLayout;
import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A {@link RunLayout} on its Hadoop file system, with its paths qualified there. Local paths use the raw local file
 * system, so no {@code .crc} side files land next to the adapter (peft's folder layout must stay exact).
 */
public final class OutputLocation {

    public final FileSystem fs;
    public final RunLayout layout;
    /** {@code <base_save_dir>/<project_name>}. */
    public final Path projectDir;

    private OutputLocation(FileSystem fs, RunLayout layout) {
        this.fs = fs;
        this.layout = layout;
        this.projectDir = qualified(layout.runDir());
    }

    public static OutputLocation of(String baseSaveDir, String projectName, Configuration conf) throws IOException {
        return of(RunLayout.of(baseSaveDir, projectName), conf);
    }

    public static OutputLocation of(RunLayout layout, Configuration conf) throws IOException {
        FileSystem fs = new Path(layout.runDir()).getFileSystem(conf);
        if (fs instanceof LocalFileSystem) {
            fs = ((LocalFileSystem) fs).getRawFileSystem();
        }
        return new OutputLocation(fs, layout);
    }

    private Path qualified(String location) {
        return fs.makeQualified(new Path(location));
    }

    public Path checkpoints() {
        return qualified(layout.checkpointsDir());
    }

    public Path finalDir() {
        return qualified(layout.finalDir());
    }

    public Path logs() {
        return qualified(layout.logsDir());
    }
}
