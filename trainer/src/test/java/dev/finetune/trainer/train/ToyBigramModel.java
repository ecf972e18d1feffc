package dev.finetune.trainer.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.finetune.trainer.safetensors.SafetensorsDType;
import dev.finetune.trainer.safetensors.SafetensorsWriter;
import dev.finetune.trainer.tensor.Ops;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * A tiny stand-in for the decoder in loop tests: a frozen bigram table W0 [V, V] plus a LoRA pair
 * (A [r, V], B [V, r]) with dropout drawn from the engine's generator, so resume tests also cover the RNG.
 * logits(prev) = W0[prev] + s · B · dropout(A[:, prev]).
 */
final class ToyBigramModel implements TrainableModel {

    final int vocab;
    private final NDManager manager;
    private final NDArray w0;
    private final Map<String, NDArray> params = new LinkedHashMap<>();
    private final float scaling = 2f;
    private final float dropout;
    /** Test hook: called with the number of forwardBackward calls made so far, before each one. */
    java.util.function.IntConsumer beforeCall = i -> {};
    /** Test hook: multiplies the loss of the call with this index by NaN. */
    int poisonCall = -1;

    private int calls;

    /** The frozen base comes from a fixed seed; {@code seed} picks the LoRA initialisation. */
    ToyBigramModel(NDManager manager, int vocab, int r, float dropout, long seed) {
        this.manager = manager;
        this.vocab = vocab;
        this.dropout = dropout;
        Random base = new Random(77);
        float[] w = new float[vocab * vocab];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) base.nextGaussian() * 0.5f;
        }
        this.w0 = manager.create(w, new Shape(vocab, vocab));
        Random rng = new Random(seed);
        float[] a = new float[r * vocab];
        float[] b = new float[vocab * r];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) rng.nextGaussian() * 0.3f;
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) rng.nextGaussian() * 0.1f; // non-zero so A gets gradients from the first step
        }
        params.put("toy.lora_A.weight", manager.create(a, new Shape(r, vocab)));
        params.put("toy.lora_B.weight", manager.create(b, new Shape(vocab, r)));
        for (NDArray p : params.values()) {
            p.setRequiresGradient(true);
        }
    }

    @Override
    public Map<String, NDArray> parameters() {
        return params;
    }

    @Override
    public double forwardBackward(MicroBatch batch, double lossScale, double divisor) {
        beforeCall.accept(calls);
        boolean poison = calls == poisonCall;
        calls++;
        try (NDManager scope = manager.newSubManager();
                GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray lossSum = lossSum(batch, scope, true);
            double value = lossSum.getFloat();
            NDArray objective = Ops.mul(lossSum, (float) (lossScale / divisor)); // Ops: autograd keeps the scalar
            if (poison) {
                objective = Ops.mul(objective, Float.NaN);
                value = Double.NaN;
            }
            gc.backward(objective);
            return value;
        }
    }

    @Override
    public double lossSum(MicroBatch batch) {
        try (NDManager scope = manager.newSubManager()) {
            return lossSum(batch, scope, false).getFloat();
        }
    }

    private NDArray lossSum(MicroBatch batch, NDManager scope, boolean training) {
        int n = 0;
        for (int i = 0; i < batch.targets.length; i++) {
            n += batch.targets[i] != 0 ? 1 : 0;
        }
        float[] prev = new float[n * vocab];
        float[] next = new float[n * vocab];
        int k = 0;
        for (int row = 0; row < batch.batch; row++) {
            for (int t = 1; t < batch.length; t++) {
                int at = row * batch.length + t;
                if (batch.targets[at] != 0) {
                    prev[k * vocab + batch.ids[at - 1]] = 1f;
                    next[k * vocab + batch.ids[at]] = 1f;
                    k++;
                }
            }
        }
        NDArray x = scope.create(prev, new Shape(n, vocab)); // [N, V] one-hot of the previous token
        NDArray y = scope.create(next, new Shape(n, vocab)); // [N, V] one-hot of the target
        NDArray a = params.get("toy.lora_A.weight");
        NDArray b = params.get("toy.lora_B.weight");
        NDArray h = x.matMul(a.transpose()); // [N, r]
        if (training && dropout > 0) {
            NDArray keep = scope.randomUniform(0f, 1f, h.getShape(), DataType.FLOAT32)
                    .gt(dropout)
                    .toType(DataType.FLOAT32, false);
            h = Ops.mul(h.mul(keep), 1 / (1 - dropout));
        }
        NDArray logits = x.matMul(w0).add(Ops.mul(h.matMul(b.transpose()), scaling)); // [N, V]
        NDArray logp = logits.logSoftmax(1);
        NDArray out = logp.mul(y).sum().neg();
        out.attach(scope);
        return out;
    }

    @Override
    public void saveAdapter(Path dir) throws IOException {
        SafetensorsWriter.writeAll(
                dir.resolve("adapter_model.safetensors"), SafetensorsWriter.ptMetadata(), params, SafetensorsDType.F32);
    }

    /** Copies of the weights, for comparisons. */
    Map<String, float[]> snapshot() {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            out.put(e.getKey(), e.getValue().toFloatArray());
        }
        return out;
    }
}
