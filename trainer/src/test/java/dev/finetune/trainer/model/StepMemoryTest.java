package dev.finetune.trainer.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDManager;
import dev.finetune.trainer.lora.LoraAdapter;
import java.lang.reflect.Field;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Training steps and logits calls leave nothing behind in the model's or the adapter's manager. */
class StepMemoryTest {

    static int resources(NDManager m) throws Exception {
        Field f = BaseNDManager.class.getDeclaredField("resources");
        f.setAccessible(true);
        return ((Map<?, ?>) f.get(m)).size();
    }

    @Test
    void resourceCountsStayFlatOverTwentySteps() throws Exception {
        Path fam = Goldens.families().get(0);
        try (CausalLM model = ModelLoader.load(fam.resolve("base"), LoadOptions.on(Device.cpu()));
                NDManager trainer = model.manager().newSubManager()) {
            LoraAdapter adapter = LoraAdapter.load(fam.resolve("adapter"), model.config, trainer, true);
            model.setAdapter(adapter);
            TrainingBatch batch = TrainingStepTest.referenceBatch(fam);
            model.setLossChunkRows(9);
            model.forwardBackward(batch, 1f, 1f);
            int modelBefore = resources(model.manager());
            int trainerBefore = resources(trainer);
            for (int i = 0; i < 20; i++) {
                model.forwardBackward(batch, 1f, 1f);
                model.loss(batch);
                adapter.zeroGradients();
            }
            assertEquals(modelBefore, resources(model.manager()), "model manager grew");
            assertEquals(trainerBefore, resources(trainer), "adapter manager grew");
        }
    }

    @Test
    void oneLossChunkOfLogitsStaysNearAQuarterGigabyteWhateverTheVocabulary() {
        for (int vocab : new int[] {151936, 128256, 262144, 32000, 1000}) {
            int rows = CausalLM.defaultLossChunkRows(vocab);
            long bytes = 4L * rows * vocab;
            assertTrue(bytes <= (1L << 28) || rows == 16, vocab + ": " + rows + " rows = " + bytes + " bytes");
            assertTrue(rows == 1024 || bytes > (1L << 27), vocab + ": " + rows + " rows waste chunks");
        }
    }
}
