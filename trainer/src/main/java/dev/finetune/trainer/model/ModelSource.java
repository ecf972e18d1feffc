package dev.finetune.trainer.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where a model folder (config.json + safetensors) comes from. Today a local directory; the Hub client
 * implements this later by downloading into a staging folder and returning it.
 */
public interface ModelSource {
    /** A local folder holding config.json and the weights. */
    Path directory() throws IOException;

    /** A folder already on local disk. */
    static ModelSource local(Path dir) {
        return () -> {
            if (!Files.isDirectory(dir)) {
                throw new IOException("model folder " + dir + " does not exist or is not a directory");
            }
            return dir;
        };
    }
}
