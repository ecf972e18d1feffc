package dev.finetune.trainer.train;

import ai.djl.ndarray.NDArray;
import dev.finetune.trainer.safetensors.SafetensorsFile;
import dev.finetune.trainer.tensor.Ops;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/** Small file helpers of checkpoints: restoring adapter weights in place, removing local temp folders. */
final class CheckpointFiles {

    static final String ADAPTER_WEIGHTS = "adapter_model.safetensors";

    private CheckpointFiles() {}

    /** Overwrites the model's LoRA weights with those of {@code dir}/adapter_model.safetensors (same keys, shapes). */
    static void loadAdapterInto(Path dir, TrainableModel model) throws IOException {
        Path file = dir.resolve(ADAPTER_WEIGHTS);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
                if (!f.contains(e.getKey())) {
                    throw new IOException(file + ": no " + e.getKey() + "; the checkpoint was written for other "
                            + "LoRA targets (lora_target_modules) than this run's");
                }
                long[] want = e.getValue().getShape().getShape();
                long[] got = f.info(e.getKey()).shape();
                if (!Arrays.equals(want, got)) {
                    throw new IOException(file + ": " + e.getKey() + " has shape " + Arrays.toString(got)
                            + ", this run's adapter needs " + Arrays.toString(want) + " (lora_r changed?)");
                }
                float[] saved = f.readFloats(e.getKey());
                Ops.assign(e.getValue(), saved);
            }
        }
    }

    /** Deletes a local folder and everything in it (best effort: temp files only). */
    static void deleteTree(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}
