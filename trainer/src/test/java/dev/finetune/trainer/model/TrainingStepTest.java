package dev.finetune.trainer.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.finetune.trainer.lora.LoraAdapter;
import dev.finetune.trainer.lora.PeftKeys;
import dev.finetune.trainer.safetensors.SafetensorsFile;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** One training step's loss and LoRA gradients equal peft's; recomputation changes nothing. */
class TrainingStepTest {

    static Map<String, float[]> gradients(LoraAdapter a) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : a.parameters().entrySet()) {
            try (NDArray g = e.getValue().getGradient()) {
                out.put(e.getKey(), g.toType(DataType.FLOAT32, false).toFloatArray());
            }
        }
        return out;
    }

    static TrainingBatch referenceBatch(Path fam) throws Exception {
        try (SafetensorsFile inputs = SafetensorsFile.open(fam.resolve("inputs.safetensors"))) {
            return TrainingBatch.fromLabels(
                    ReferenceLogitsTest.rows(inputs, "input_ids"), ReferenceLogitsTest.rows(inputs, "labels"));
        }
    }

    @Test
    void lossAndEveryLoraGradientMatchPeftForEveryFamily() throws Exception {
        StringBuilder report = new StringBuilder();
        for (Path fam : Goldens.families()) {
            try (CausalLM model = ModelLoader.load(fam.resolve("base"), TestDevice.fp32());
                    NDManager trainer = model.manager().newSubManager();
                    SafetensorsFile ref = SafetensorsFile.open(fam.resolve("train_step.safetensors"))) {
                LoraAdapter adapter = LoraAdapter.load(fam.resolve("adapter"), model.config, trainer, true);
                model.setAdapter(adapter);
                model.setLossChunkRows(7); // several chunks, to exercise chunked backward
                TrainingBatch batch = referenceBatch(fam);
                LossAndCount lc = model.forwardBackward(batch, 1f, batch.targetCount());
                float wantLoss = ref.readFloats("loss")[0];
                double lossRel = Math.abs(lc.mean() - wantLoss) / Math.abs(wantLoss);
                assertTrue(lossRel < 1e-5, fam.getFileName() + " loss " + lc.mean() + " vs " + wantLoss);
                double worst = 0;
                String worstKey = "";
                Map<String, float[]> got = gradients(adapter);
                assertEquals(
                        ref.names().stream().filter(n -> n.endsWith(".grad")).count(), got.size());
                for (Map.Entry<String, float[]> e : got.entrySet()) {
                    float[] want = ref.readFloats(PeftKeys.gradient(e.getKey()));
                    double rel = Goldens.relativeDiff(e.getValue(), want);
                    if (!(rel <= worst)) {
                        worst = rel;
                        worstKey = e.getKey();
                    }
                }
                report.append(fam.getFileName())
                        .append(" loss rel=")
                        .append(lossRel)
                        .append(" worst grad rel=")
                        .append(worst)
                        .append(" (")
                        .append(worstKey)
                        .append(")\n");
                assertTrue(worst < 1e-4, fam.getFileName() + " gradient " + worstKey + " rel diff " + worst);
            }
        }
        System.out.print(report);
    }

    @Test
    void recomputedBackwardEqualsPlainBackwardAndGradientsAccumulate() throws Exception {
        Path fam = Goldens.families().get(0);
        try (CausalLM model = ModelLoader.load(fam.resolve("base"), TestDevice.fp32());
                NDManager trainer = model.manager().newSubManager()) {
            LoraAdapter adapter = LoraAdapter.load(fam.resolve("adapter"), model.config, trainer, true);
            model.setAdapter(adapter);
            TrainingBatch batch = referenceBatch(fam);
            LossAndCount plain = model.forwardBackwardWithoutRecompute(batch, 1f, 1f);
            Map<String, float[]> plainGrads = gradients(adapter);
            adapter.zeroGradients();
            model.setLossChunkRows(5);
            LossAndCount recomputed = model.forwardBackward(batch, 1f, 1f);
            Map<String, float[]> recomputedGrads = gradients(adapter);
            assertEquals(plain.lossSum, recomputed.lossSum, 1e-5 * Math.abs(plain.lossSum));
            double worst = 0;
            for (String k : plainGrads.keySet()) {
                worst = Math.max(worst, Goldens.relativeDiff(recomputedGrads.get(k), plainGrads.get(k)));
            }
            assertTrue(worst < 1e-5, "recomputed vs plain gradient rel diff " + worst);
            // a second call accumulates: gradients double
            model.forwardBackward(batch, 1f, 1f);
            Map<String, float[]> twice = gradients(adapter);
            for (String k : plainGrads.keySet()) {
                float[] doubled = plainGrads.get(k).clone();
                for (int i = 0; i < doubled.length; i++) {
                    doubled[i] *= 2;
                }
                assertTrue(Goldens.relativeDiff(twice.get(k), doubled) < 1e-5, k + " did not accumulate");
            }
            System.out.println("recompute vs plain: loss " + recomputed.lossSum + " vs " + plain.lossSum
                    + ", worst grad rel " + worst);
        }
    }
}
