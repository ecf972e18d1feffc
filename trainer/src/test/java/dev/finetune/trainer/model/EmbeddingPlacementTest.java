package dev.finetune.trainer.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The embedding table leaves the GPU only when nothing else on the GPU needs it (an untied LM head). */
class EmbeddingPlacementTest {

    @Test
    void anUntiedTableStaysOnTheHostWhenTrainingOnAGpuAndNowhereElse() throws Exception {
        Set<Boolean> tiedSeen = new HashSet<>();
        for (Path fam : Goldens.families()) {
            ModelConfig c = ModelConfig.read(fam.resolve("base"));
            assertEquals(!c.tieWordEmbeddings, CausalLM.embeddingsOnHost(c, Device.gpu(0)), fam.toString());
            assertEquals(false, CausalLM.embeddingsOnHost(c, Device.cpu()), fam.toString());
            tiedSeen.add(c.tieWordEmbeddings);
        }
        assertEquals(2, tiedSeen.size(), "the fixture families include tied and untied heads");
    }
}
