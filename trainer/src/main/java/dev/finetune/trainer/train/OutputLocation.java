package dev.finetune.trainer.train;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;

/**
 * {@code <base_save_dir>/<project_name>} on its Hadoop file system. Local paths use the raw local file system,
 * so no {@code .crc} side files land next to the adapter (peft's folder layout must stay exact).
 */
public final class OutputLocation {

    public final FileSystem fs;
    /** {@code <base_save_dir>/<project_name>}. */
    public final Path projectDir;

    private OutputLocation(FileSystem fs, Path projectDir) {
        this.fs = fs;
        this.projectDir = projectDir;
    }

    public static OutputLocation of(String baseSaveDir, String projectName, Configuration conf) throws IOException {
        Path base = new Path(baseSaveDir);
        FileSystem fs = base.getFileSystem(conf);
        if (fs instanceof LocalFileSystem) {
            fs = ((LocalFileSystem) fs).getRawFileSystem();
        }
        Path project = fs.makeQualified(new Path(base, projectName));
        return new OutputLocation(fs, project);
    }

    public Path checkpoints() {
        return new Path(projectDir, "checkpoints");
    }

    public Path finalDir() {
        return new Path(projectDir, "final");
    }

    public Path logs() {
        return new Path(projectDir, "logs");
    }
}
