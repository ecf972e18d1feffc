package dev.finetune.trainer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.finetune.trainer.lora.LoraAdapter;
import dev.finetune.trainer.model.CausalLM;
import dev.finetune.trainer.model.Goldens;
import dev.finetune.trainer.model.LoadOptions;
import dev.finetune.trainer.model.ModelLoader;
import dev.finetune.trainer.safetensors.SafetensorsFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The automatic micro-batch keeps the tokens per optimizer step, so it keeps the training: three AdamW steps of a
 * real model with the split it picks give the losses and the adapter of the configured split (one row per
 * micro-batch) within FP32 rounding, both when everything fits at once and when a device memory limit (injected:
 * the model throws CUDA's out-of-memory error after it has already added its gradients) makes it back off.
 */
class AutoMicroBatchTest {

    /** The real model, failing as a full device would for micro-batches over {@code maxRows} rows. */
    private static final class MemoryLimited implements TrainableModel {
        final TrainableModel real;
        final int maxRows;
        int failures;

        MemoryLimited(TrainableModel real, int maxRows) {
            this.real = real;
            this.maxRows = maxRows;
        }

        @Override
        public Map<String, NDArray> parameters() {
            return real.parameters();
        }

        @Override
        public double forwardBackward(MicroBatch batch, double lossScale, double divisor) {
            double loss = real.forwardBackward(batch, lossScale, divisor); // gradients already added, as a late OOM
            if (batch.batch > maxRows) {
                failures++;
                throw new EngineException("CUDA out of memory. Tried to allocate 2.00 GiB (injected limit: " + maxRows
                        + " rows per micro-batch)");
            }
            return loss;
        }

        @Override
        public double lossSum(MicroBatch batch) {
            return real.lossSum(batch);
        }

        @Override
        public void saveAdapter(Path dir) throws IOException {
            real.saveAdapter(dir);
        }
    }

    private static final class Run {
        final List<Double> losses = new ArrayList<>();
        final Map<String, float[]> adapter = new LinkedHashMap<>();
        int rows;
        int failures;
    }

    /** Three steps over the fixture's rows; {@code maxRows} 0 = the configured split, else auto under that limit. */
    private static Run train(Path fam, int maxRows) throws Exception {
        Run run = new Run();
        try (CausalLM lm = ModelLoader.load(fam.resolve("base"), LoadOptions.on(Device.cpu()));
                SafetensorsFile inputs = SafetensorsFile.open(fam.resolve("inputs.safetensors"));
                NDManager scope = lm.manager().newSubManager()) {
            lm.setAdapter(LoraAdapter.load(fam.resolve("adapter"), lm.config, scope, true));
            MemoryLimited model =
                    new MemoryLimited(new CausalLmTrainable(lm, "../base"), maxRows == 0 ? Integer.MAX_VALUE : maxRows);
            List<MicroBatch> batches = ReferenceStepsTest.rowsAsMicroBatches(inputs); // one row each
            assertTrue(batches.size() >= 2, "the fixture has several rows");
            try (AdamW adamw =
                    new AdamW(scope, new ArrayList<>(model.parameters().values()), 0.9, 0.999, 1e-8, 0.01)) {
                OptimizerStep step = new OptimizerStep(model, GradientSync.local(), LossScaler.none(), adamw, 0.5);
                if (maxRows > 0) {
                    step.withMicroBatchSplit(MicroBatchSplit.largestFirst(batches.size()), m -> {});
                }
                for (int k = 0; k < 3; k++) {
                    OptimizerStep.Outcome o = step.run(batches, s -> 1e-3);
                    assertTrue(o.stepped);
                    run.losses.add(o.loss);
                }
                run.rows = maxRows > 0 ? step.microBatchSplit().rows() : 1;
            }
            for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
                run.adapter.put(e.getKey(), e.getValue().toFloatArray());
            }
            run.failures = model.failures;
        }
        return run;
    }

    private static void assertSameTraining(Run want, Run got, String what) {
        for (int k = 0; k < want.losses.size(); k++) {
            assertEquals(
                    want.losses.get(k),
                    got.losses.get(k),
                    1e-5 * want.losses.get(k),
                    what + ": loss of step " + (k + 1));
        }
        for (Map.Entry<String, float[]> e : want.adapter.entrySet()) {
            double rel = Goldens.relativeDiff(got.adapter.get(e.getKey()), e.getValue());
            assertTrue(rel < 1e-5, what + ": " + e.getKey() + " differs by " + rel + " relative");
        }
    }

    @Test
    void theAutomaticSplitTrainsAsTheConfiguredSplitWhetherItFitsAtOnceOrBacksOff() throws Exception {
        Path fam = Goldens.fixturesModels().resolve("llama");
        Run fixed = train(fam, 0);
        int rowsPerStep;
        try (SafetensorsFile inputs = SafetensorsFile.open(fam.resolve("inputs.safetensors"))) {
            rowsPerStep = ReferenceStepsTest.rowsAsMicroBatches(inputs).size();
        }

        Run roomy = train(fam, rowsPerStep); // everything fits: all rows in one micro-batch, no failure
        assertEquals(rowsPerStep, roomy.rows);
        assertEquals(0, roomy.failures);
        assertSameTraining(fixed, roomy, "all rows at once");

        Run tight = train(fam, 1); // only one row fits: one failed attempt, then the largest split that fits
        assertEquals(1, tight.rows);
        assertEquals(1, tight.failures, "the split is found once and kept for later steps");
        assertFalse(tight.adapter.isEmpty());
        assertSameTraining(fixed, tight, "after backing off to one row");
    }

    @Test
    void backingOffWalksTheDivisorsOfTheStepsRowsDownToOne() {
        MicroBatchSplit s = MicroBatchSplit.largestFirst(12);
        List<Integer> seen = new ArrayList<>();
        do {
            seen.add(s.rows());
            assertEquals(12, s.rows() * s.microBatches(), "rows per step stay 12");
        } while (s.shrink());
        assertEquals(List.of(12, 6, 4, 3, 2, 1), seen);
        assertTrue(MicroBatchSplit.isOutOfMemory(new RuntimeException(
                "wrapped", new EngineException("CUDA out of memory. Tried to allocate 20.00 MiB"))));
        assertFalse(MicroBatchSplit.isOutOfMemory(new EngineException("shape mismatch")));
    }

    @Test
    void regroupingKeepsEveryRowInOrder() {
        List<MicroBatch> step = new ArrayList<>();
        for (int m = 0; m < 3; m++) { // 3 micro-batches of 2 rows of length 2
            step.add(new MicroBatch(
                    2, 2, new int[] {4 * m, 4 * m + 1, 4 * m + 2, 4 * m + 3}, new int[] {1, 1, 1, 1}, new byte[] {
                        0, 1, 0, 1
                    }));
        }
        MicroBatchSplit s = MicroBatchSplit.largestFirst(6);
        s.shrink(); // 3 rows per micro-batch
        List<MicroBatch> out = s.regroup(step);
        assertEquals(2, out.size());
        List<Integer> ids = new ArrayList<>();
        for (MicroBatch b : out) {
            assertEquals(3, b.batch);
            for (int id : b.ids) {
                ids.add(id);
            }
        }
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11), ids);
    }
}
