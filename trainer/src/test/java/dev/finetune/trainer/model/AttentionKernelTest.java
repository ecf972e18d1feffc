package dev.finetune.trainer.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.finetune.trainer.lora.LoraAdapter;
import dev.finetune.trainer.tensor.ScriptModules;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * torch's scaled_dot_product_attention (through the TorchScript module) computes what the eager DJL attention
 * computes: logits, LoRA gradients, FP16, packed rows with padding, sliding windows and cached decoding.
 */
class AttentionKernelTest {

    /** Two documents and two padding tokens in one row, plus a second row of one document. */
    private static TrainingBatch packedBatch() {
        long[] ids = {
            185, 487, 202, 196, 181, 58, 300, 12, 33, 250, 7, 91, 444, 18, 205, 0, 0,
            61, 3, 500, 128, 64, 19, 410, 9, 77, 12, 300, 58, 181, 196, 202, 487, 185
        };
        long[] seg = new long[ids.length];
        boolean[] tgt = new boolean[ids.length];
        int len = 17;
        for (int t = 0; t < len; t++) {
            seg[t] = t < 8 ? 1 : t < 15 ? 2 : 0;
            tgt[t] = seg[t] != 0 && t != 0 && t != 8;
            seg[len + t] = 1;
            tgt[len + t] = t != 0;
        }
        return TrainingBatch.of(2, len, ids, seg, tgt);
    }

    @Test
    void sdpaGivesTheEagerLogitsAndGradientsForEveryFamily() throws Exception {
        assertSdpaGivesTheEagerLogitsAndGradients(packedBatch());
    }

    /**
     * For every family: logits, loss and LoRA gradients of {@code batch} on the SDPA path equal the eager masked
     * formula's; returns whether some family has grouped query heads.
     */
    private static boolean assertSdpaGivesTheEagerLogitsAndGradients(TrainingBatch batch) throws Exception {
        boolean grouped = false;
        for (Path fam : Goldens.families()) {
            try (CausalLM model = ModelLoader.load(fam.resolve("base"), TestDevice.fp32());
                    NDManager scope = model.manager().newSubManager()) {
                grouped |= model.config.numKvHeads < model.config.numHeads;
                LoraAdapter adapter = LoraAdapter.load(fam.resolve("adapter"), model.config, scope, true);
                model.setAdapter(adapter);
                model.setAttention(AttentionKernel.EAGER);
                float[] eagerLogits = model.logits(scope, batch).toFloatArray();
                LossAndCount eagerLoss = model.forwardBackward(batch, 1f, 1f);
                Map<String, float[]> eagerGrads = TrainingStepTest.gradients(adapter);
                adapter.zeroGradients();
                model.setAttention(AttentionKernel.SDPA);
                float[] sdpaLogits = model.logits(scope, batch).toFloatArray();
                LossAndCount sdpaLoss = model.forwardBackward(batch, 1f, 1f);
                Map<String, float[]> sdpaGrads = TrainingStepTest.gradients(adapter);

                String name = fam.getFileName().toString();
                double logitRel = Goldens.relativeDiff(sdpaLogits, eagerLogits);
                assertTrue(logitRel < 1e-5, name + " logits sdpa vs eager " + logitRel);
                assertEquals(eagerLoss.lossSum, sdpaLoss.lossSum, 1e-5 * eagerLoss.lossSum, name);
                double worst = 0;
                for (String k : eagerGrads.keySet()) {
                    worst = Math.max(worst, Goldens.relativeDiff(sdpaGrads.get(k), eagerGrads.get(k)));
                }
                assertTrue(worst < 1e-4, name + " LoRA gradients sdpa vs eager " + worst);
                System.out.println(name + ": sdpa vs eager logits " + logitRel + ", LoRA gradients " + worst);
            }
        }
        return grouped;
    }

    /** Two rows of one document each: the batch the causal kernel (no mask, grouped heads in place) serves. */
    private static TrainingBatch wholeRowsBatch() {
        TrainingBatch packed = packedBatch();
        long[] seg = new long[packed.rows * packed.length];
        boolean[] tgt = new boolean[seg.length];
        for (int i = 0; i < seg.length; i++) {
            seg[i] = 1 + i / packed.length;
            tgt[i] = i % packed.length != 0;
        }
        return TrainingBatch.of(packed.rows, packed.length, packed.ids, seg, tgt);
    }

    @Test
    void wholeRowsOnTheCausalKernelGiveTheMaskedEagerLogitsAndGradients() throws Exception {
        TrainingBatch batch = wholeRowsBatch();
        assertTrue(batch.oneDocumentPerRow());
        assertTrue(!packedBatch().oneDocumentPerRow(), "packed rows with padding need the mask");
        assertTrue(ScriptModules.usable(ScriptModules.SDPA_CAUSAL, TestDevice.get()), "sdpa_causal.pt loads");
        boolean grouped = assertSdpaGivesTheEagerLogitsAndGradients(batch);
        assertTrue(grouped, "at least one family has grouped query heads");
    }

    @Test
    void documentBoundsCutAtEveryRowStartAndSegmentChangeAndCoverEveryToken() {
        TrainingBatch packed = packedBatch();
        int[] bounds = packed.documentBounds();
        // row 0: documents of 8 and 7 tokens, then 2 padding tokens (one run); row 1: one document of 17
        assertArrayEquals(new int[] {0, 8, 15, 17, 34}, bounds);
        for (int d = 0; d + 1 < bounds.length; d++) {
            for (int i = bounds[d]; i < bounds[d + 1]; i++) {
                assertEquals(bounds[d] / packed.length, i / packed.length, "a document never crosses rows");
                assertEquals(packed.segments[bounds[d]], packed.segments[i], "one segment id per document");
            }
        }
        int[] whole = wholeRowsBatch().documentBounds();
        assertArrayEquals(new int[] {0, 17, 34}, whole);
    }

    /**
     * The variable-length kernel exists on CUDA only: on the CPU the module must still compile in DJL's libtorch and
     * reach that kernel with the arguments it declares (a schema mismatch fails earlier, at compile or bind time).
     */
    @Test
    void theVarlenModuleCompilesAndReachesTheFlashKernel() {
        try (NDManager m = NDManager.newBaseManager(ai.djl.Device.cpu())) {
            NDArray q = m.randomNormal(new ai.djl.ndarray.types.Shape(1, 4, 8, 16));
            NDArray k = m.randomNormal(new ai.djl.ndarray.types.Shape(1, 2, 8, 16));
            NDArray[] docs = SdpaAttention.documents(m, new int[] {0, 5, 8});
            RuntimeException e =
                    assertThrows(RuntimeException.class, () -> SdpaAttention.attendDocuments(q, k, k, docs));
            assertTrue(
                    String.valueOf(e.getMessage()).contains("_flash_attention_forward")
                            && String.valueOf(e.getMessage()).contains("CPU"),
                    e.getMessage());
        }
    }

    @Test
    void sdpaInHalfPrecisionStaysCloseToEagerAndFinite() throws Exception {
        TrainingBatch batch = packedBatch();
        Path fam = Goldens.families().get(0);
        try (CausalLM model = ModelLoader.load(
                        fam.resolve("base"), new LoadOptions(TestDevice.get(), DataType.FLOAT16, null));
                NDManager scope = model.manager().newSubManager()) {
            model.setAdapter(LoraAdapter.load(fam.resolve("adapter"), model.config, scope, false));
            model.setAttention(AttentionKernel.EAGER);
            float[] eager = model.logits(scope, batch).toFloatArray();
            model.setAttention(AttentionKernel.SDPA);
            float[] sdpa = model.logits(scope, batch).toFloatArray();
            double rel = Goldens.relativeDiff(sdpa, eager);
            assertTrue(rel < 1e-2, "FP16 logits sdpa vs eager " + rel);
            System.out.println("FP16: sdpa vs eager logits " + rel);
        }
    }

    @Test
    void cachedDecodingWithLeftPaddingMatchesEager() throws Exception {
        for (Path fam : Goldens.families()) {
            try (CausalLM model = ModelLoader.load(fam.resolve("base"), TestDevice.fp32())) {
                float[][] got = new float[2][];
                for (AttentionKernel kernel : AttentionKernel.values()) {
                    model.setAttention(kernel);
                    try (NDManager scope = model.manager().newSubManager();
                            KvCache cache = new KvCache(scope, model.config.numLayers, new long[] {0, 3})) {
                        long[] prompts = {185, 487, 202, 196, 181, 0, 0, 0, 58, 300};
                        model.decode(scope, prompts, 2, cache);
                        NDArray next = model.decode(scope, new long[] {12, 77}, 2, cache);
                        got[kernel.ordinal()] = next.toFloatArray();
                    }
                }
                double rel =
                        Goldens.relativeDiff(got[AttentionKernel.SDPA.ordinal()], got[AttentionKernel.EAGER.ordinal()]);
                assertTrue(rel < 1e-5, fam.getFileName() + " cached decoding sdpa vs eager " + rel);
            }
        }
    }

    @Test
    void anUnknownKernelNameSaysWhatIsAllowed() {
        assertEquals(AttentionKernel.SDPA, AttentionKernel.parse(" SDPA "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AttentionKernel.parse("flash"));
        assertTrue(e.getMessage().contains("sdpa") && e.getMessage().contains("eager"), e.getMessage());
    }
}
