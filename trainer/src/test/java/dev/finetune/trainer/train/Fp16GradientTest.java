package dev.finetune.trainer.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.finetune.trainer.lora.LoraAdapter;
import dev.finetune.trainer.model.CausalLM;
import dev.finetune.trainer.model.Goldens;
import dev.finetune.trainer.model.LinearWeightFactory;
import dev.finetune.trainer.model.LoadOptions;
import dev.finetune.trainer.model.ModelLoader;
import dev.finetune.trainer.safetensors.SafetensorsFile;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The FP16 compute path runs on the CPU too: with loss scaling, every FP32 master LoRA weight gets a finite,
 * non-zero gradient that, unscaled, equals the FP32 path's within FP16 tolerance (casts keep autograd: docs/djl.md).
 */
class Fp16GradientTest {

    private static Map<String, float[]> gradients(Path fam, DataType compute, double lossScale) throws Exception {
        try (CausalLM lm = ModelLoader.load(
                        fam.resolve("base"), new LoadOptions(Device.cpu(), compute, LinearWeightFactory.DENSE));
                SafetensorsFile inputs = SafetensorsFile.open(fam.resolve("inputs.safetensors"));
                NDManager scope = lm.manager().newSubManager()) {
            lm.setAdapter(LoraAdapter.load(fam.resolve("adapter"), lm.config, scope, true));
            CausalLmTrainable model = new CausalLmTrainable(lm, "../base");
            List<MicroBatch> rows = ReferenceStepsTest.rowsAsMicroBatches(inputs);
            double divisor = rows.get(0).targetCount() + rows.get(1).targetCount();
            for (MicroBatch b : rows) {
                model.forwardBackward(b, lossScale, divisor);
            }
            Map<String, float[]> out = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
                assertTrue(e.getValue().getDataType() == DataType.FLOAT32, e.getKey() + " master weight is FP32");
                try (NDArray g = e.getValue().getGradient()) {
                    float[] v = g.toFloatArray();
                    for (int i = 0; i < v.length; i++) {
                        v[i] /= (float) lossScale;
                    }
                    out.put(e.getKey(), v);
                }
            }
            return out;
        }
    }

    @Test
    void everyLoraWeightGetsAFiniteNonZeroGradientEqualToFp32WithinFp16Tolerance() throws Exception {
        Path fam = Goldens.fixturesModels().resolve("llama");
        Map<String, float[]> fp32 = gradients(fam, DataType.FLOAT32, 1.0);
        Map<String, float[]> fp16 = gradients(fam, DataType.FLOAT16, 1024.0);
        double worst = 0;
        String worstKey = "";
        for (Map.Entry<String, float[]> e : fp16.entrySet()) {
            float[] h = e.getValue();
            double maxAbs = 0;
            for (float v : h) {
                assertTrue(Float.isFinite(v), e.getKey() + " has a non-finite FP16-path gradient");
                maxAbs = Math.max(maxAbs, Math.abs(v));
            }
            assertTrue(maxAbs > 0, e.getKey() + " gets no gradient on the FP16 path");
            double rel = Goldens.relativeDiff(h, fp32.get(e.getKey()));
            if (rel > worst) {
                worst = rel;
                worstKey = e.getKey();
            }
        }
        assertTrue(fp16.size() == 28, "all 28 LoRA tensors compared, got " + fp16.size());
        // FP16 keeps 11 significant bits; through two layers and a 512-way softmax 2e-2 relative is the budget
        assertTrue(worst < 2e-2, "worst FP16 vs FP32 gradient rel diff " + worst + " in " + worstKey);
        System.out.println("FP16 vs FP32 gradients: worst rel " + worst + " (" + worstKey + ")");
    }
}
