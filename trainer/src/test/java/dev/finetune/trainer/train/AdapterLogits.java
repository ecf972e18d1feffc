package dev.finetune.trainer.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.finetune.trainer.lora.LoraAdapter;
import dev.finetune.trainer.model.CausalLM;
import dev.finetune.trainer.model.LoadOptions;
import dev.finetune.trainer.model.ModelLoader;
import dev.finetune.trainer.model.TrainingBatch;
import dev.finetune.trainer.safetensors.SafetensorsFile;
import dev.finetune.trainer.safetensors.SafetensorsWriter;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes the logits our FP32 CPU forward gives for base + a saved adapter on {@code input_ids}, for
 * trainer/tools/check_peft_adapter.py to compare with peft's (PeftCheckedAdapterTest calls {@link #write}). From the
 * repository root, after {@code mvn -o -q -B -DskipTests package}:
 * {@code java -cp "trainer/target/test-classes:app/target/dist/lib/*:app/target/dist/native/*"
 * dev.finetune.trainer.train.AdapterLogits BASE_DIR ADAPTER_DIR inputs.safetensors out.safetensors}.
 */
public final class AdapterLogits {

    private AdapterLogits() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("ERROR usage: AdapterLogits BASE_DIR ADAPTER_DIR inputs.safetensors out.safetensors");
            System.exit(2);
        }
        write(Paths.get(args[0]), Paths.get(args[1]), Paths.get(args[2]), Paths.get(args[3]));
    }

    public static void write(Path base, Path adapter, Path inputs, Path out) throws Exception {
        try (CausalLM lm = ModelLoader.load(base, LoadOptions.on(Device.cpu()));
                NDManager scope = lm.manager().newSubManager();
                SafetensorsFile in = SafetensorsFile.open(inputs)) {
            lm.setAdapter(LoraAdapter.load(adapter, lm.config, scope, false));
            long[] ids = in.readLongs("input_ids");
            long[] shape = in.info("input_ids").shape();
            int b = (int) shape[0];
            int t = (int) shape[1];
            long[] seg = new long[ids.length];
            java.util.Arrays.fill(seg, 1);
            NDArray logits = lm.logits(scope, TrainingBatch.of(b, t, ids, seg, new boolean[ids.length]));
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            tensors.put("logits", logits);
            SafetensorsWriter.writeAll(
                    out,
                    SafetensorsWriter.ptMetadata(),
                    tensors,
                    dev.finetune.trainer.safetensors.SafetensorsDType.F32);
        }
    }
}
