package dev.finetune.trainer.model;

import ai.djl.ndarray.NDManager;
import dev.finetune.trainer.safetensors.SafetensorsCheckpoint;
import java.io.IOException;
import java.nio.file.Path;

/** Loads a Hugging Face model folder (config.json + safetensors, single or sharded) onto a device. */
public final class ModelLoader {
    private ModelLoader() {}

    public static CausalLM load(ModelSource source, LoadOptions options) throws IOException {
        Path dir = source.directory();
        ModelConfig config = ModelConfig.read(dir);
        NDManager manager = NDManager.newBaseManager(options.device, "PyTorch");
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(dir)) {
            CausalLM model = CausalLM.create(
                    config, new CheckpointTensorSource(ckpt), manager, options.resolvedComputeType(), options.weights);
            model.setAttention(options.attention);
            return model;
        } catch (IOException | RuntimeException e) {
            manager.close();
            throw new IOException("loading the model in " + dir + " failed: " + e.getMessage(), e);
        }
    }

    public static CausalLM load(Path dir, LoadOptions options) throws IOException {
        return load(ModelSource.local(dir), options);
    }
}
