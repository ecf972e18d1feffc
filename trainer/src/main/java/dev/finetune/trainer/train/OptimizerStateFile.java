package dev.finetune.trainer.train;

import ai.djl.ndarray.NDArray;
import dev.finetune.trainer.safetensors.SafetensorsDType;
import dev.finetune.trainer.safetensors.SafetensorsFile;
import dev.finetune.trainer.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW's moments in a checkpoint: {@code optimizer.safetensors} with {@code <peft key>.exp_avg} and
 * {@code <peft key>.exp_avg_sq} (torch's state names), F32, and the step count in the metadata.
 */
public final class OptimizerStateFile {

    public static final String FILE = "optimizer.safetensors";

    private OptimizerStateFile() {}

    public static void write(Path dir, List<String> keys, AdamW adamw) throws IOException {
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        for (int i = 0; i < keys.size(); i++) {
            tensors.put(keys.get(i) + ".exp_avg", adamw.firstMoments().get(i));
            tensors.put(keys.get(i) + ".exp_avg_sq", adamw.secondMoments().get(i));
        }
        Map<String, String> meta = SafetensorsWriter.ptMetadata();
        meta.put("step", Long.toString(adamw.stepCount()));
        SafetensorsWriter.writeAll(dir.resolve(FILE), meta, tensors, SafetensorsDType.F32);
    }

    public static void read(Path dir, List<String> keys, AdamW adamw) throws IOException {
        Path file = dir.resolve(FILE);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            List<float[]> m = new ArrayList<>();
            List<float[]> v = new ArrayList<>();
            for (String k : keys) {
                for (String suffix : new String[] {".exp_avg", ".exp_avg_sq"}) {
                    if (!f.contains(k + suffix)) {
                        throw new IOException(file + ": no " + k + suffix + "; the checkpoint was written for other "
                                + "LoRA targets or rank than this run's (lora_target_modules, lora_r)");
                    }
                }
                m.add(f.readFloats(k + ".exp_avg"));
                v.add(f.readFloats(k + ".exp_avg_sq"));
            }
            String step = f.metadata().get("step");
            if (step == null) {
                throw new IOException(file + ": no \"step\" in the metadata; not written by this trainer");
            }
            adamw.restore(Long.parseLong(step), m, v);
        }
    }
}
