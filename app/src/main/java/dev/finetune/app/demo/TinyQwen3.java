package dev.finetune.app.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune.trainer.model.ModelConfig;
import dev.finetune.trainer.model.Projection;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A tiny Qwen3-shaped causal LM with random weights, written as a Hugging Face checkpoint folder
 * (config.json + model.safetensors, F32): the real Qwen3 architecture (q/k norms, head_dim unequal to
 * hidden/heads, GQA; an untied head as in Qwen3-8B and larger) and the real tokenizer's vocabulary, with a
 * hidden size small enough to train on two CPU cores. The two 151,669 x 64 matrices (embedding and head, 39 MB
 * each) are most of the model.
 *
 * <p>Deterministic: the same seed gives byte-identical files on every JVM (SplittableRandom; weights uniform
 * with the stated standard deviation, which is cheaper to draw than normal and serves a demo as well).
 * The head is drawn with std 1/sqrt(hidden) instead of the usual 0.02 so that, after the final RMSNorm (which
 * makes the hidden state's norm sqrt(hidden)), logits have unit scale and the frozen head can express a peaked
 * distribution; with 0.02 every logit would stay within about ±1 and no adapter could lower the loss visibly.
 * Everything else keeps 0.02, so the adapters' output is not drowned by the embedding in the residual stream.
 */
public final class TinyQwen3 {
    public static final int VOCAB = 151_669;
    public static final int HIDDEN = 64;
    public static final int LAYERS = 2;
    public static final int HEADS = 4;
    public static final int KV_HEADS = 2;
    public static final int HEAD_DIM = 32;
    public static final int INTERMEDIATE = 192;
    public static final int BOS_ID = 151_643;
    public static final int EOS_ID = 151_645;
    private static final double INIT_STD = 0.02;

    private TinyQwen3() {}

    /** Writes config.json and model.safetensors into {@code dir} (created). */
    public static void write(Path dir, long seed) throws IOException {
        Files.createDirectories(dir);
        ObjectMapper json = new ObjectMapper();
        Files.write(
                dir.resolve("config.json"),
                json.writerWithDefaultPrettyPrinter().writeValueAsBytes(config(json)));
        writeWeights(dir.resolve("model.safetensors"), seed);
    }

    static ObjectNode config(ObjectMapper json) {
        ObjectNode c = json.createObjectNode();
        c.putArray("architectures").add("Qwen3ForCausalLM");
        c.put("model_type", "qwen3");
        c.put("vocab_size", VOCAB);
        c.put("hidden_size", HIDDEN);
        c.put("intermediate_size", INTERMEDIATE);
        c.put("num_hidden_layers", LAYERS);
        c.put("num_attention_heads", HEADS);
        c.put("num_key_value_heads", KV_HEADS);
        c.put("head_dim", HEAD_DIM);
        c.put("hidden_act", "silu");
        c.put("max_position_embeddings", 2048);
        c.put("rms_norm_eps", 1e-6);
        c.put("rope_theta", 1_000_000.0);
        c.putNull("rope_scaling");
        c.put("attention_bias", false);
        c.put("attention_dropout", 0.0);
        c.put("use_sliding_window", false);
        c.putNull("sliding_window");
        c.put("max_window_layers", LAYERS);
        c.put("tie_word_embeddings", false);
        c.put("bos_token_id", BOS_ID);
        c.put("eos_token_id", EOS_ID);
        c.put("initializer_range", INIT_STD);
        c.put("torch_dtype", "float32");
        c.put("use_cache", true);
        return c;
    }

    /**
     * name → shape, in file order; norms are ones, everything else random. The projections' keys and shapes are
     * {@link Projection}'s for this config, the same the model loads them by.
     */
    static Map<String, long[]> tensors() {
        ModelConfig c = ModelConfig.parse(config(new ObjectMapper()), "the demo model's config.json");
        Map<String, long[]> t = new LinkedHashMap<>();
        t.put("model.embed_tokens.weight", new long[] {VOCAB, HIDDEN});
        for (int i = 0; i < LAYERS; i++) {
            String p = "model.layers." + i + ".";
            t.put(p + "input_layernorm.weight", new long[] {HIDDEN});
            putProjections(t, c, i, true);
            t.put(p + "self_attn.q_norm.weight", new long[] {HEAD_DIM});
            t.put(p + "self_attn.k_norm.weight", new long[] {HEAD_DIM});
            t.put(p + "post_attention_layernorm.weight", new long[] {HIDDEN});
            putProjections(t, c, i, false);
        }
        t.put("model.norm.weight", new long[] {HIDDEN});
        t.put("lm_head.weight", new long[] {VOCAB, HIDDEN});
        return t;
    }

    /** The attention block's projections (q, k, v, o) or the MLP's (gate, up, down) of one layer: [out, in]. */
    private static void putProjections(Map<String, long[]> t, ModelConfig c, int layer, boolean attention) {
        for (Projection p : Projection.all()) {
            if (p.attention == attention) {
                t.put(p.weightKey(layer), new long[] {p.out(c), p.in(c)});
            }
        }
    }

    private static void writeWeights(Path file, long seed) throws IOException {
        Map<String, long[]> tensors = tensors();
        ObjectMapper json = new ObjectMapper();
        ObjectNode header = json.createObjectNode();
        header.putObject("__metadata__").put("format", "pt");
        long offset = 0;
        for (Map.Entry<String, long[]> e : tensors.entrySet()) {
            long bytes = 4 * count(e.getValue());
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", "F32");
            ArrayNode shape = t.putArray("shape");
            for (long d : e.getValue()) {
                shape.add(d);
            }
            t.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] h = json.writeValueAsBytes(header);
        int padded = (h.length + 7) / 8 * 8; // safetensors: header padded with spaces to 8 bytes
        StringBuilder head = new StringBuilder(new String(h, StandardCharsets.UTF_8));
        while (head.length() < padded) {
            head.append(' ');
        }
        SplittableRandom rng = new SplittableRandom(seed);
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            ByteBuffer len =
                    ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
            out.write(len.array());
            out.write(head.toString().getBytes(StandardCharsets.UTF_8));
            ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            for (Map.Entry<String, long[]> e : tensors.entrySet()) {
                boolean norm = e.getKey().endsWith("norm.weight");
                double std = e.getKey().equals("lm_head.weight") ? 1.0 / Math.sqrt(HIDDEN) : INIT_STD;
                double halfWidth = std * Math.sqrt(3); // uniform on [-w, w] has std w/sqrt(3)
                long n = count(e.getValue());
                for (long i = 0; i < n; i++) {
                    if (!buf.hasRemaining()) {
                        out.write(buf.array(), 0, buf.position());
                        buf.clear();
                    }
                    buf.putFloat(norm ? 1f : (float) (halfWidth * (2 * rng.nextDouble() - 1)));
                }
            }
            out.write(buf.array(), 0, buf.position());
        }
    }

    static long count(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    /** Parameter count of the whole model (embedding included, tied head not double-counted). */
    public static long parameters() {
        long n = 0;
        List<long[]> shapes = new ArrayList<>(tensors().values());
        for (long[] s : shapes) {
            n += count(s);
        }
        return n;
    }
}
