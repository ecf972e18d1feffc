package dev.finetune.trainer.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.finetune.trainer.lora.LoraAdapter;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Two documents packed in one row (with segments) get the logits and loss each has alone. */
class PackedRowTest {

    static TrainingBatch single(long[] ids) {
        long[] seg = new long[ids.length];
        Arrays.fill(seg, 1);
        boolean[] tgt = new boolean[ids.length];
        Arrays.fill(tgt, 1, ids.length, true);
        return TrainingBatch.of(1, ids.length, ids, seg, tgt);
    }

    @Test
    void packedDocumentsGetTheLogitsAndLossTheyHaveAlone() throws Exception {
        long[] a = {185, 487, 202, 196, 181, 58, 300, 12, 77, 410, 9};
        long[] b = {33, 250, 7, 91, 444, 18, 205, 61, 3, 500, 128, 64, 19};
        int pad = 2;
        int len = a.length + b.length + pad;
        long[] ids = new long[len];
        long[] seg = new long[len];
        boolean[] tgt = new boolean[len];
        System.arraycopy(a, 0, ids, 0, a.length);
        System.arraycopy(b, 0, ids, a.length, b.length);
        for (int t = 0; t < len; t++) {
            seg[t] = t < a.length ? 1 : t < a.length + b.length ? 2 : 0;
            tgt[t] = seg[t] != 0 && t != 0 && t != a.length;
        }
        for (Path fam : Goldens.families()) {
            try (CausalLM model = ModelLoader.load(fam.resolve("base"), LoadOptions.on(Device.cpu()));
                    NDManager scope = model.manager().newSubManager()) {
                model.setAdapter(LoraAdapter.load(fam.resolve("adapter"), model.config, scope, false));
                NDArray packed = model.logits(scope, TrainingBatch.of(1, len, ids, seg, tgt)); // [1, len, V]
                float[] aliveA = model.logits(scope, single(a)).toFloatArray();
                float[] aliveB = model.logits(scope, single(b)).toFloatArray();
                double relA = Goldens.relativeDiff(packed.get("0, :" + a.length).toFloatArray(), aliveA);
                double relB = Goldens.relativeDiff(
                        packed.get("0, " + a.length + ":" + (a.length + b.length))
                                .toFloatArray(),
                        aliveB);
                assertTrue(relA < 1e-5 && relB < 1e-5, fam.getFileName() + " packed vs alone: " + relA + ", " + relB);
                LossAndCount lp = model.loss(TrainingBatch.of(1, len, ids, seg, tgt));
                LossAndCount la = model.loss(single(a));
                LossAndCount lb = model.loss(single(b));
                assertEquals(la.count + lb.count, lp.count);
                assertEquals(
                        la.lossSum + lb.lossSum,
                        lp.lossSum,
                        1e-5 * lp.lossSum,
                        fam.getFileName().toString());
            }
        }
    }

    @Test
    void aTargetOnADocumentsFirstTokenIsRefused() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class,
                () -> TrainingBatch.of(
                        1, 3, new long[] {1, 2, 3}, new long[] {1, 2, 2}, new boolean[] {false, true, true}));
        assertTrue(e.getMessage().contains("first token"), e.getMessage());
    }
}
