package dev.finetune.trainer.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

/** config.json in both styles, the family rules, and errors that name the key. */
class ModelConfigTest {
    static ObjectNode base(String type) {
        ObjectNode c = new ObjectMapper().createObjectNode();
        c.put("model_type", type)
                .put("vocab_size", 100)
                .put("hidden_size", 64)
                .put("intermediate_size", 128)
                .put("num_hidden_layers", 4)
                .put("num_attention_heads", 4)
                .put("num_key_value_heads", 2);
        return c;
    }

    @Test
    void ropeThetaAndScalingReadTheSameInBothStyles() {
        ObjectNode old = base("llama");
        old.put("rope_theta", 500000.0).put("torch_dtype", "bfloat16");
        old.putObject("rope_scaling")
                .put("rope_type", "llama3")
                .put("factor", 32.0)
                .put("low_freq_factor", 1.0)
                .put("high_freq_factor", 4.0)
                .put("original_max_position_embeddings", 8192);
        ObjectNode v5 = base("llama");
        v5.put("dtype", "bfloat16");
        v5.putObject("rope_parameters")
                .put("rope_type", "llama3")
                .put("rope_theta", 500000.0)
                .put("factor", 32.0)
                .put("low_freq_factor", 1.0)
                .put("high_freq_factor", 4.0)
                .put("original_max_position_embeddings", 8192);
        ModelConfig a = ModelConfig.parse(old, "old");
        ModelConfig b = ModelConfig.parse(v5, "v5");
        assertEquals("llama3", a.rope.type);
        assertEquals(500000.0, b.rope.theta);
        assertArrayEquals(a.rope.inverseFrequencies(), b.rope.inverseFrequencies());
        assertEquals("bfloat16", a.checkpointDtype);
        assertEquals("bfloat16", b.checkpointDtype);
    }

    @Test
    void llama3ScalingDividesLowFrequenciesByTheFactorAndKeepsHighOnes() {
        ObjectNode c = base("llama");
        c.put("head_dim", 128).put("rope_theta", 500000.0);
        c.putObject("rope_scaling")
                .put("type", "llama3")
                .put("factor", 8.0)
                .put("low_freq_factor", 1.0)
                .put("high_freq_factor", 4.0)
                .put("original_max_position_embeddings", 8192);
        float[] scaled = ModelConfig.parse(c, "c").rope.inverseFrequencies();
        c.remove("rope_scaling");
        float[] plain = ModelConfig.parse(c, "c").rope.inverseFrequencies();
        assertEquals(plain[0], scaled[0], 0f); // wavelength 2π < 8192/4: unchanged
        assertEquals(plain[63] / 8, scaled[63], 1e-12f); // wavelength > 8192: divided by factor
    }

    @Test
    void qwen3HasQkNormAndItsOwnHeadDim() {
        ObjectNode c = base("qwen3");
        c.put("head_dim", 32);
        ModelConfig q = ModelConfig.parse(c, "c");
        assertTrue(q.qkNorm);
        assertEquals(32, q.headDim);
        assertFalse(q.qkvBias);
        assertTrue(ModelConfig.parse(base("qwen2"), "c").qkvBias);
    }

    @Test
    void slidingWindowFollowsEachFamilysRule() {
        ObjectNode m = base("mistral");
        m.put("sliding_window", 4096);
        assertTrue(ModelConfig.parse(m, "m").isSliding(0));
        m.putNull("sliding_window");
        assertFalse(ModelConfig.parse(m, "m").hasSlidingLayers());
        ObjectNode q = base("qwen2");
        q.put("sliding_window", 32768).put("use_sliding_window", false).put("max_window_layers", 2);
        assertFalse(ModelConfig.parse(q, "q").hasSlidingLayers());
        q.put("use_sliding_window", true);
        ModelConfig qs = ModelConfig.parse(q, "q");
        assertFalse(qs.isSliding(1));
        assertTrue(qs.isSliding(2));
        ObjectNode t = base("qwen3");
        t.put("sliding_window", 16);
        t.putArray("layer_types")
                .add("full_attention")
                .add("sliding_attention")
                .add("full_attention")
                .add("sliding_attention");
        ModelConfig ts = ModelConfig.parse(t, "t");
        assertTrue(ts.isSliding(3) && !ts.isSliding(2));
    }

    @Test
    void anUnknownModelTypeListsTheSupportedOnes() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> ModelConfig.parse(base("gpt2"), "some/config.json"));
        assertTrue(
                e.getMessage().contains("'gpt2'")
                        && e.getMessage().contains("[llama, mistral, qwen2, qwen3]")
                        && e.getMessage().contains("some/config.json"),
                e.getMessage());
    }

    @Test
    void anUnsupportedRopeTypeIsNamed() {
        ObjectNode c = base("llama");
        c.putObject("rope_scaling").put("rope_type", "yarn").put("factor", 4.0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelConfig.parse(c, "c"));
        assertTrue(e.getMessage().contains("'yarn'"), e.getMessage());
    }
}
