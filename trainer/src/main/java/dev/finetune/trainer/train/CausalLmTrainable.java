package dev.finetune.trainer.train;

import ai.djl.ndarray.NDArray;
import dev.finetune.trainer.lora.LoraAdapter;
import dev.finetune.trainer.model.CausalLM;
import dev.finetune.trainer.model.TrainingBatch;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/** The decoder model (package {@code model}) with its trainable LoRA adapter, as the training loop sees it. */
public final class CausalLmTrainable implements TrainableModel {

    private final CausalLM lm;
    private final LoraAdapter adapter;
    private final String baseModelNameOrPath;

    /** {@code lm} must carry a trainable LoRA adapter ({@code setAdapter}). */
    public CausalLmTrainable(CausalLM lm, String baseModelNameOrPath) {
        if (!(lm.adapter() instanceof LoraAdapter)) {
            throw new IllegalArgumentException("the model has no LoRA adapter; set one before training");
        }
        this.lm = lm;
        this.adapter = (LoraAdapter) lm.adapter();
        this.baseModelNameOrPath = baseModelNameOrPath;
    }

    public CausalLM model() {
        return lm;
    }

    @Override
    public Map<String, NDArray> parameters() {
        return adapter.parameters();
    }

    @Override
    public double forwardBackward(MicroBatch batch, double lossScale, double divisor) {
        return lm.forwardBackward(toTrainingBatch(batch), (float) lossScale, (float) divisor).lossSum;
    }

    @Override
    public double lossSum(MicroBatch batch) {
        return lm.loss(toTrainingBatch(batch)).lossSum;
    }

    @Override
    public void reseedDropout(long seed) {
        lm.reseedDropout(seed);
    }

    @Override
    public void saveAdapter(Path dir) throws IOException {
        adapter.save(dir, baseModelNameOrPath);
    }

    static TrainingBatch toTrainingBatch(MicroBatch b) {
        int n = b.ids.length;
        long[] ids = new long[n];
        long[] seg = new long[n];
        boolean[] tgt = new boolean[n];
        for (int i = 0; i < n; i++) {
            ids[i] = b.ids[i] & 0xFFFFFFFFL; // u32 in the shard
            seg[i] = b.segments[i] & 0xFFFFFFFFL;
            tgt[i] = b.targets[i] != 0;
        }
        return TrainingBatch.of(b.batch, b.length, ids, seg, tgt);
    }
}
