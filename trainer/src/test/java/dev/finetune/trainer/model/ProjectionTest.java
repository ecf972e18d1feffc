package dev.finetune.trainer.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.trainer.safetensors.SafetensorsCheckpoint;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** {@link Projection}'s keys and shapes against checkpoints that transformers wrote, one per supported family. */
class ProjectionTest {

    @Test
    void keysAndShapesAreThoseOfEveryReferenceCheckpoint() throws Exception {
        for (Path fam : Goldens.families()) {
            ModelConfig c = ModelConfig.read(fam.resolve("base"));
            try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(fam.resolve("base"))) {
                Set<String> projectionKeys = new TreeSet<>();
                for (String name : ckpt.names()) {
                    if (name.contains("_proj.")) {
                        projectionKeys.add(name);
                    }
                }
                for (int layer = 0; layer < c.numLayers; layer++) {
                    for (Projection p : Projection.all()) {
                        String w = p.weightKey(layer);
                        assertArrayEquals(
                                new long[] {p.out(c), p.in(c)}, ckpt.info(w).shape(), fam + ": " + w);
                        assertTrue(projectionKeys.remove(w), fam + ": " + w);
                        String b = p.biasKey(layer);
                        assertEquals(p.hasBias(c), ckpt.contains(b), fam + ": " + b);
                        if (p.hasBias(c)) {
                            assertArrayEquals(
                                    new long[] {p.out(c)}, ckpt.info(b).shape(), fam + ": " + b);
                            projectionKeys.remove(b);
                        }
                    }
                }
                assertTrue(
                        projectionKeys.isEmpty(),
                        fam + ": projections Projection does not describe: " + projectionKeys);
            }
        }
    }

    @Test
    void namesRoundTripAndAnUnknownOneIsRefusedWithTheKnownOnes() {
        for (Projection p : Projection.all()) {
            assertEquals(p, Projection.named(p.hfName));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Projection.named("qkv_proj"));
        assertTrue(e.getMessage().contains("qkv_proj") && e.getMessage().contains("down_proj"), e.getMessage());
    }
}
