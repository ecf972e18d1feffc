package dev.finetune.trainer.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.finetune.trainer.lora.LoraAdapter;
import dev.finetune.trainer.lora.LoraSettings;
import dev.finetune.trainer.lora.PeftKeys;
import dev.finetune.trainer.safetensors.SafetensorsFile;
import dev.finetune.trainer.tensor.Ops;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The GPU numerics (FP16 projections, FP32 norms/softmax/loss, FP32 master LoRA weights) run on CPU too and
 * stay close to the FP32 reference; every LoRA weight gets a finite, non-zero gradient through the casts.
 */
class HalfPrecisionTest {

    @Test
    void fp16ComputeGivesReferenceLogitsAndGradientsWithinHalfPrecision() throws Exception {
        Path fam = Goldens.families().get(1); // qwen2: biases and tied head
        LoadOptions fp16 = new LoadOptions(TestDevice.get(), DataType.FLOAT16, null);
        try (CausalLM model = ModelLoader.load(fam.resolve("base"), fp16);
                NDManager trainer = model.manager().newSubManager();
                SafetensorsFile lora = SafetensorsFile.open(fam.resolve("logits_lora.safetensors"));
                SafetensorsFile ref = SafetensorsFile.open(fam.resolve("train_step.safetensors"))) {
            LoraAdapter adapter = LoraAdapter.load(fam.resolve("adapter"), model.config, trainer, true);
            model.setAdapter(adapter);
            TrainingBatch batch = TrainingStepTest.referenceBatch(fam);
            TrainingBatch plain;
            try (SafetensorsFile inputs = SafetensorsFile.open(fam.resolve("inputs.safetensors"))) {
                plain = ReferenceLogitsTest.unpacked(ReferenceLogitsTest.rows(inputs, "input_ids"));
            }
            try (NDManager scope = model.manager().newSubManager()) {
                double rel = Goldens.relativeDiff(model.logits(scope, plain).toFloatArray(), lora.readFloats("logits"));
                System.out.println("fp16 logits rel " + rel);
                assertTrue(rel < 1e-2, "fp16 logits rel diff " + rel);
            }
            LossAndCount lc = model.forwardBackward(batch, 1024f, batch.targetCount()); // loss scaling as on GPU
            double lossRel = Math.abs(lc.mean() - ref.readFloats("loss")[0]) / ref.readFloats("loss")[0];
            double worst = 0;
            for (Map.Entry<String, NDArray> e : adapter.parameters().entrySet()) {
                NDArray g = e.getValue().getGradient();
                assertTrue(g.getDataType() == DataType.FLOAT32, "master gradients are fp32");
                float[] got = g.div(1024f).toFloatArray();
                float[] want = ref.readFloats(PeftKeys.gradient(e.getKey()));
                double rel = Goldens.relativeDiff(got, want);
                worst = Math.max(worst, rel);
                assertTrue(rel < 3e-2, e.getKey() + " fp16 gradient rel diff " + rel);
            }
            System.out.println("fp16 loss rel " + lossRel + " worst grad rel " + worst);
            assertTrue(lossRel < 1e-3, "fp16 loss rel diff " + lossRel);
        }
    }

    @Test
    void withLoraDropoutTheRecomputedBackwardStillEqualsThePlainOne() throws Exception {
        Path fam = Goldens.families().get(0);
        try (CausalLM model = ModelLoader.load(fam.resolve("base"), TestDevice.fp32());
                NDManager trainer = model.manager().newSubManager()) {
            LoraAdapter a = LoraAdapter.load(fam.resolve("adapter"), model.config, trainer, true);
            LoraAdapter dropped = LoraAdapter.initialize(
                    new LoraSettings(8, 16, 0.5, false, Collections.singletonList(LoraSettings.ALL_LINEAR)),
                    model.config,
                    trainer,
                    1);
            // same weights as the reference adapter, dropout 0.5
            for (Map.Entry<String, NDArray> e : dropped.parameters().entrySet()) {
                Ops.assign(e.getValue(), a.parameters().get(e.getKey()).toFloatArray());
            }
            TrainingBatch batch = TrainingStepTest.referenceBatch(fam);
            model.setAdapter(a);
            model.forwardBackward(batch, 1f, 1f);
            Map<String, float[]> noDropout = TrainingStepTest.gradients(a);
            model.setAdapter(dropped);
            model.reseedDropout(5);
            LossAndCount plain = model.forwardBackwardWithoutRecompute(batch, 1f, 1f);
            Map<String, float[]> plainGrads = TrainingStepTest.gradients(dropped);
            dropped.zeroGradients();
            model.reseedDropout(5);
            LossAndCount recomputed = model.forwardBackward(batch, 1f, 1f);
            Map<String, float[]> recomputedGrads = TrainingStepTest.gradients(dropped);
            assertTrue(
                    Math.abs(plain.lossSum - recomputed.lossSum) < 1e-5 * plain.lossSum,
                    plain.lossSum + " vs " + recomputed.lossSum);
            double worst = 0;
            double fromNoDropout = 0;
            for (String k : plainGrads.keySet()) {
                worst = Math.max(worst, Goldens.relativeDiff(recomputedGrads.get(k), plainGrads.get(k)));
                fromNoDropout = Math.max(fromNoDropout, Goldens.relativeDiff(recomputedGrads.get(k), noDropout.get(k)));
            }
            assertTrue(worst < 1e-5, "dropout masks differ between forward and recompute: rel " + worst);
            assertTrue(fromNoDropout > 1e-2, "dropout 0.5 must change the gradients, rel " + fromNoDropout);
        }
    }
}
