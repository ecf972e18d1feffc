package dev.finetune.trainer.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.finetune.trainer.lora.LoraAdapter;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Gradients do not depend on when the JVM collects garbage. On CPU, DJL backs arrays it makes from Java values
 * (e.g. the scalar of {@code x.mul(2f)}) with a direct buffer that only its Java wrapper keeps alive; autograd
 * may keep such a tensor for backward after the wrapper is gone, and then reads freed, reused memory.
 */
class GarbageCollectionSafetyTest {

    @Test
    void gradientsStayExactWhileTheJvmCollectsAndReusesDirectMemory() throws Exception {
        for (Path fam : Goldens.families().subList(0, 2)) {
            try (CausalLM model = ModelLoader.load(fam.resolve("base"), LoadOptions.on(Device.cpu()));
                    NDManager trainer = model.manager().newSubManager()) {
                LoraAdapter adapter = LoraAdapter.load(fam.resolve("adapter"), model.config, trainer, true);
                model.setAdapter(adapter);
                model.setLossChunkRows(5);
                TrainingBatch batch = TrainingStepTest.referenceBatch(fam);
                model.forwardBackwardWithoutRecompute(batch, 1f, 1f);
                Map<String, float[]> clean = TrainingStepTest.gradients(adapter);

                AtomicBoolean stop = new AtomicBoolean();
                Thread churn = new Thread(() -> churnDirectMemory(stop), "gc-churn");
                churn.start();
                double worst = 0;
                try {
                    for (int i = 0; i < 12; i++) {
                        adapter.zeroGradients();
                        if (i % 2 == 0) {
                            model.forwardBackwardWithoutRecompute(batch, 1f, 1f);
                        } else {
                            model.forwardBackward(batch, 1f, 1f);
                        }
                        Map<String, float[]> got = TrainingStepTest.gradients(adapter);
                        for (String k : clean.keySet()) {
                            worst = Math.max(worst, Goldens.relativeDiff(got.get(k), clean.get(k)));
                            if (Double.isNaN(worst)) {
                                worst = Double.POSITIVE_INFINITY;
                            }
                        }
                    }
                } finally {
                    stop.set(true);
                    churn.join();
                }
                assertTrue(
                        worst < 1e-5,
                        fam.getFileName() + ": gradients under GC churn differ from clean ones by " + worst
                                + " (relative)");
            }
        }
    }

    /** Collects garbage and hands freed native memory back out, filled with NaN, until told to stop. */
    private static void churnDirectMemory(AtomicBoolean stop) {
        while (!stop.get()) {
            System.gc();
            List<ByteBuffer> junk = new ArrayList<>();
            for (int i = 0; i < 5000; i++) {
                ByteBuffer b = ByteBuffer.allocateDirect(4 + (i % 4) * 4);
                while (b.remaining() >= 4) {
                    b.putFloat(Float.NaN);
                }
                junk.add(b);
            }
        }
    }
}
