package dev.finetune.trainer.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.finetune.trainer.model.CausalLM;
import dev.finetune.trainer.model.Goldens;
import dev.finetune.trainer.model.LoadOptions;
import dev.finetune.trainer.model.ModelLoader;
import dev.finetune.trainer.model.TrainingBatch;
import dev.finetune.trainer.safetensors.SafetensorsFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Adapters load and save in peft's layout; new ones start as the base model. */
class LoraAdapterTest {
    @TempDir
    Path tmp;

    static TrainingBatch row(long... ids) {
        long[] seg = new long[ids.length];
        Arrays.fill(seg, 1);
        return TrainingBatch.of(1, ids.length, ids, seg, new boolean[ids.length]);
    }

    @Test
    void savedAdapterHasPeftsKeysAndLoadsBackIdentically() throws Exception {
        Path fam = Goldens.families().get(0);
        try (CausalLM model = ModelLoader.load(fam.resolve("base"), LoadOptions.on(Device.cpu()));
                NDManager scope = model.manager().newSubManager()) {
            LoraAdapter a = LoraAdapter.load(fam.resolve("adapter"), model.config, scope, true);
            a.save(tmp, "../base");
            try (SafetensorsFile ours = SafetensorsFile.open(tmp.resolve(LoraAdapter.WEIGHTS_FILE));
                    SafetensorsFile peft =
                            SafetensorsFile.open(fam.resolve("adapter").resolve(LoraAdapter.WEIGHTS_FILE))) {
                assertEquals(new TreeSet<>(peft.names()), new TreeSet<>(ours.names()));
                assertEquals(Collections.singletonMap("format", "pt"), ours.metadata());
                for (String k : peft.names()) {
                    assertArrayEquals(peft.readFloats(k), ours.readFloats(k), k);
                }
            }
            LoraSettings s = LoraSettings.read(tmp);
            assertEquals(8, s.r);
            assertEquals(2.0f, s.scaling());
            assertTrue(
                    new String(Files.readAllBytes(tmp.resolve("adapter_config.json"))).contains("\"lora_alpha\" : 16"));
        }
    }

    @Test
    void aNewAdapterStartsAsTheBaseModelWithPeftsInitBounds() throws Exception {
        Path fam = Goldens.families().get(0);
        try (CausalLM model = ModelLoader.load(fam.resolve("base"), LoadOptions.on(Device.cpu()));
                NDManager scope = model.manager().newSubManager()) {
            TrainingBatch b = row(5, 99, 300, 17, 42);
            float[] base = model.logits(scope, b).toFloatArray();
            LoraAdapter a = LoraAdapter.initialize(
                    new LoraSettings(4, 8, 0.1, true, Collections.singletonList(LoraSettings.ALL_LINEAR)),
                    model.config,
                    scope,
                    42);
            assertEquals(7 * 2 * model.config.numLayers, a.parameters().size());
            assertEquals((float) (8 / Math.sqrt(4)), a.settings.scaling(), 1e-6f);
            model.setAdapter(a);
            assertArrayEquals(base, model.logits(scope, b).toFloatArray(), 0f);
            for (Map.Entry<String, NDArray> e : a.parameters().entrySet()) {
                float[] v = e.getValue().toFloatArray();
                if (e.getKey().contains("lora_A")) {
                    float bound = (float) (1 / Math.sqrt(e.getValue().getShape().get(1)));
                    float max = 0;
                    for (float x : v) {
                        max = Math.max(max, Math.abs(x));
                    }
                    assertTrue(max <= bound && max > bound / 2, e.getKey() + " max " + max + " bound " + bound);
                } else {
                    assertArrayEquals(new float[v.length], v, 0f, e.getKey());
                }
            }
        }
    }

    @Test
    void peftKeysAreBuiltAsPeftWritesThem() {
        assertEquals("base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight", PeftKeys.loraA(3, "q_proj"));
        assertEquals("base_model.model.model.layers.0.mlp.down_proj.lora_B.weight", PeftKeys.loraB(0, "down_proj"));
    }

    @Test
    void doraAndUnknownTargetsAreRefusedByName() throws Exception {
        Files.write(
                tmp.resolve("adapter_config.json"),
                "{\"peft_type\":\"LORA\",\"r\":8,\"use_dora\":true,\"target_modules\":[\"q_proj\"]}".getBytes());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LoraSettings.read(tmp));
        assertTrue(e.getMessage().contains("use_dora"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> new LoraSettings(8, 16, 0, false, Collections.singletonList("lm_head")));
        assertTrue(e.getMessage().contains("'lm_head'"), e.getMessage());
    }
}
