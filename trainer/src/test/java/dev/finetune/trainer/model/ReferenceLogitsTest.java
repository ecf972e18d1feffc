package dev.finetune.trainer.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.finetune.trainer.lora.LoraAdapter;
import dev.finetune.trainer.safetensors.SafetensorsFile;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Base and adapter logits equal transformers' + peft's for every reference family (FP32, CPU). */
class ReferenceLogitsTest {

    static long[][] rows(SafetensorsFile f, String name) throws Exception {
        long[] flat = f.readLongs(name);
        long[] shape = f.info(name).shape();
        long[][] out = new long[(int) shape[0]][(int) shape[1]];
        for (int r = 0; r < out.length; r++) {
            System.arraycopy(flat, r * out[r].length, out[r], 0, out[r].length);
        }
        return out;
    }

    static TrainingBatch unpacked(long[][] ids) {
        int b = ids.length;
        int t = ids[0].length;
        long[] flat = new long[b * t];
        long[] seg = new long[b * t];
        for (int r = 0; r < b; r++) {
            for (int j = 0; j < t; j++) {
                flat[r * t + j] = ids[r][j];
                seg[r * t + j] = 1;
            }
        }
        return TrainingBatch.of(b, t, flat, seg, new boolean[b * t]);
    }

    @Test
    void baseAndAdapterLogitsMatchTransformersForEveryFamily() throws Exception {
        List<Path> families = Goldens.families();
        StringBuilder report = new StringBuilder();
        for (Path fam : families) {
            try (CausalLM model = ModelLoader.load(fam.resolve("base"), TestDevice.fp32());
                    SafetensorsFile inputs = SafetensorsFile.open(fam.resolve("inputs.safetensors"));
                    SafetensorsFile base = SafetensorsFile.open(fam.resolve("logits_base.safetensors"));
                    SafetensorsFile lora = SafetensorsFile.open(fam.resolve("logits_lora.safetensors"));
                    NDManager scope = model.manager().newSubManager()) {
                TrainingBatch batch = unpacked(rows(inputs, "input_ids"));
                float[] got = model.logits(scope, batch).toFloatArray();
                float[] want = base.readFloats("logits");
                double rel = Goldens.relativeDiff(got, want);
                report.append(fam.getFileName()).append(" base rel=").append(rel);
                assertTrue(
                        rel < 1e-4,
                        fam.getFileName() + " base logits rel diff " + rel + " got " + Goldens.head(got) + " want "
                                + Goldens.head(want));

                model.setAdapter(LoraAdapter.load(fam.resolve("adapter"), model.config, scope, false));
                float[] gotLora = model.logits(scope, batch).toFloatArray();
                float[] wantLora = lora.readFloats("logits");
                double relLora = Goldens.relativeDiff(gotLora, wantLora);
                report.append(" lora rel=").append(relLora).append('\n');
                assertTrue(
                        relLora < 1e-4,
                        fam.getFileName() + " adapter logits rel diff " + relLora + " got " + Goldens.head(gotLora)
                                + " want " + Goldens.head(wantLora));
                assertTrue(Goldens.relativeDiff(gotLora, want) > 1e-3, "the adapter must change the logits");
            }
        }
        System.out.print(report);
    }
}
