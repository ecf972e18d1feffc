package dev.finetune.trainer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune.trainer.lora.LoraAdapter;
import dev.finetune.trainer.model.CausalLM;
import dev.finetune.trainer.model.Goldens;
import dev.finetune.trainer.model.ModelLoader;
import dev.finetune.trainer.model.TestDevice;
import dev.finetune.trainer.safetensors.SafetensorsFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Three optimizer steps of two micro-batches each (row 0, then row 1 of inputs.safetensors), clipping to 0.5 and
 * learning rates 5e-4, 1e-3, 1e-3 from the reference adapter reproduce transformers + peft + torch AdamW
 * (train_steps3.json / .safetensors) for every reference family. The fixture's step-1 norm is twice the
 * true one (a stale gradient in the generator, see below); the weights are unaffected because that step is
 * clipped.
 */
class ReferenceStepsTest {

    /** One micro-batch per row of Hugging Face labels (-100 = not a target; the label at t is token t). */
    static List<MicroBatch> rowsAsMicroBatches(SafetensorsFile inputs) throws Exception {
        long[] ids = inputs.readLongs("input_ids");
        long[] labels = inputs.readLongs("labels");
        long[] shape = inputs.info("input_ids").shape();
        int rows = (int) shape[0];
        int t = (int) shape[1];
        List<MicroBatch> out = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
            int[] i32 = new int[t];
            int[] seg = new int[t];
            byte[] tgt = new byte[t];
            for (int j = 0; j < t; j++) {
                i32[j] = (int) ids[r * t + j];
                seg[j] = 1;
                tgt[j] = (byte) (j > 0 && labels[r * t + j] != -100 ? 1 : 0);
            }
            out.add(new MicroBatch(1, t, i32, seg, tgt));
        }
        return out;
    }

    @Test
    void threeClippedStepsOfTwoMicroBatchesMatchTorchForEveryFamily() throws Exception {
        StringBuilder report = new StringBuilder();
        int checked = 0;
        double worstOverall = 0;
        double overFraction = 0;
        for (Path fam : Goldens.families()) {
            Path json = fam.resolve("train_steps3.json");
            assertTrue(Files.exists(json), fam + " lacks train_steps3.json");
            JsonNode ref = new ObjectMapper().readTree(json.toFile());
            try (CausalLM lm = ModelLoader.load(fam.resolve("base"), TestDevice.fp32());
                    SafetensorsFile inputs = SafetensorsFile.open(fam.resolve("inputs.safetensors"));
                    SafetensorsFile want = SafetensorsFile.open(fam.resolve("train_steps3.safetensors"));
                    NDManager scope = lm.manager().newSubManager()) {
                lm.setAdapter(LoraAdapter.load(fam.resolve("adapter"), lm.config, scope, true));
                TrainableModel model = new CausalLmTrainable(lm, "../base");
                List<MicroBatch> batches = rowsAsMicroBatches(inputs);
                JsonNode lrs = ref.get("lrs");
                double worstLoss = 0;
                double worstNorm = 0;
                try (AdamW adamw =
                        new AdamW(scope, new ArrayList<>(model.parameters().values()), 0.9, 0.999, 1e-8, 0.01)) {
                    OptimizerStep step = new OptimizerStep(
                            model,
                            GradientSync.local(),
                            LossScaler.none(),
                            adamw,
                            ref.get("max_grad_norm").asDouble());
                    for (int k = 0; k < lrs.size(); k++) {
                        OptimizerStep.Outcome o =
                                step.run(batches, s -> lrs.get((int) s).asDouble());
                        assertTrue(o.stepped);
                        double wantLoss = ref.get("losses").get(k).asDouble();
                        double wantNorm =
                                ref.get("grad_norms_before_clip").get(k).asDouble();
                        if (k == 0) {
                            // make_goldens.py runs train_step's loss.backward() and never zeroes the gradients
                            // before train_steps3, so its step 1 holds that full-batch gradient twice: the same
                            // gradient at the same weights. Clipping to 0.5 makes the update identical; only the
                            // reported norm is doubled (steps 2 and 3 call zero_grad and are exact).
                            wantNorm /= 2;
                        }
                        worstLoss = Math.max(worstLoss, Math.abs(o.loss - wantLoss) / wantLoss);
                        worstNorm = Math.max(worstNorm, Math.abs(o.gradNorm - wantNorm) / wantNorm);
                        assertEquals(wantLoss, o.loss, 1e-5 * wantLoss, fam.getFileName() + " loss of step " + (k + 1));
                        assertEquals(
                                wantNorm,
                                o.gradNorm,
                                1e-5 * wantNorm,
                                fam.getFileName() + " pre-clip norm of step " + (k + 1));
                    }
                }
                double worstWeight = 0;
                long over = 0;
                long elements = 0;
                for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
                    float[] got = e.getValue().toFloatArray();
                    float[] expect = want.readFloats(e.getKey());
                    double keyWorst = 0;
                    for (int i = 0; i < got.length; i++) {
                        double d = Math.abs(got[i] - expect[i]);
                        keyWorst = Math.max(keyWorst, d);
                        over += d > 1e-6 ? 1 : 0;
                    }
                    elements += got.length;
                    worstWeight = Math.max(worstWeight, keyWorst);
                }
                assertEquals(want.names().size(), model.parameters().size(), fam + ": every LoRA weight compared");
                worstOverall = Math.max(worstOverall, worstWeight);
                overFraction = Math.max(overFraction, (double) over / elements);
                report.append(String.format(
                        "%s: loss rel %.2e, norm rel %.2e, weights max abs %.2e, %d of %d over 1e-6%n",
                        fam.getFileName(), worstLoss, worstNorm, worstWeight, over, elements));
                checked++;
            }
        }
        System.out.print(report);
        assertTrue(checked >= 2);
        // Adam normalises each element by its own gradient size, so an element whose gradient is 5-6 orders below
        // the tensor's largest (seen: 4e-8 vs 2.5e-2) turns FP32 forward rounding into a visible part of a step
        // (worst seen: 3.7e-5 = 4% of lr, mistral). All others agree within 1e-6.
        assertTrue(overFraction < 1e-3, "more than 0.1% of LoRA weights differ by over 1e-6:\n" + report);
        assertTrue(worstOverall < 1e-4, "a LoRA weight differs by over 10% of a step:\n" + report);
    }
}
