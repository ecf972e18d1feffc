package dev.finetune.trainer.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * Immutable hyperparameters of a causal LM, parsed from a Hugging Face {@code config.json}. Reads both the
 * long-standing style ({@code rope_theta}, {@code rope_scaling}, {@code torch_dtype}) and the transformers 5
 * style ({@code rope_parameters}, {@code dtype}).
 */
public final class ModelConfig {
    /** The model_type values this loader supports. */
    public static final List<String> SUPPORTED_TYPES =
            Collections.unmodifiableList(Arrays.asList("llama", "mistral", "qwen2", "qwen3"));

    public final String modelType;
    public final int vocabSize;
    public final int hiddenSize;
    public final int intermediateSize;
    public final int numLayers;
    public final int numHeads;
    public final int numKvHeads;
    public final int headDim;
    public final double rmsNormEps;
    public final RopeSettings rope;
    public final boolean tieWordEmbeddings;
    /** Qwen3's RMSNorm over each head of q and k before RoPE. */
    public final boolean qkNorm;
    /** Bias on q/k/v (always for Qwen2; {@code attention_bias} elsewhere). */
    public final boolean qkvBias;
    /** Bias on o_proj ({@code attention_bias} of Llama and Qwen3). */
    public final boolean oBias;

    public final boolean mlpBias;
    /** Attention window in tokens for sliding layers (a key at distance ≥ window is masked); 0 = none. */
    public final int slidingWindow;

    private final boolean[] slidingLayers;
    public final int maxPositionEmbeddings;
    /** EOS ids (config.json allows one or a list); empty when absent. */
    public final List<Long> eosTokenIds;
    /** Pad id, or -1 when config.json has none. */
    public final long padTokenId;
    /** The checkpoint's dtype as written ({@code torch_dtype} or {@code dtype}), e.g. "bfloat16". */
    public final String checkpointDtype;

    private ModelConfig(JsonNode c, String where) {
        modelType = c.path("model_type").asText("");
        if (!SUPPORTED_TYPES.contains(modelType)) {
            throw new IllegalArgumentException(
                    where + ": model_type '" + modelType + "' is not supported; supported: " + SUPPORTED_TYPES);
        }
        vocabSize = requireInt(c, "vocab_size", where);
        hiddenSize = requireInt(c, "hidden_size", where);
        intermediateSize = requireInt(c, "intermediate_size", where);
        numLayers = requireInt(c, "num_hidden_layers", where);
        numHeads = requireInt(c, "num_attention_heads", where);
        numKvHeads = c.hasNonNull("num_key_value_heads")
                ? c.get("num_key_value_heads").asInt()
                : numHeads;
        headDim = c.hasNonNull("head_dim") ? c.get("head_dim").asInt() : hiddenSize / numHeads;
        if (numHeads % numKvHeads != 0) {
            throw new IllegalArgumentException(where + ": num_attention_heads " + numHeads
                    + " is not a multiple of num_key_value_heads " + numKvHeads);
        }
        String act = c.path("hidden_act").asText("silu");
        if (!act.equals("silu")) {
            throw new IllegalArgumentException(where + ": hidden_act '" + act + "' is not supported; supported: silu");
        }
        rmsNormEps = c.path("rms_norm_eps").asDouble(1e-6);
        rope = RopeSettings.from(c, headDim, where);
        tieWordEmbeddings = c.path("tie_word_embeddings").asBoolean(false);
        boolean attentionBias = c.path("attention_bias").asBoolean(false);
        qkNorm = modelType.equals("qwen3");
        qkvBias = modelType.equals("qwen2") || attentionBias;
        oBias = (modelType.equals("llama") || modelType.equals("qwen3")) && attentionBias;
        mlpBias = modelType.equals("llama") && c.path("mlp_bias").asBoolean(false);
        maxPositionEmbeddings = c.path("max_position_embeddings").asInt(0);
        slidingLayers = new boolean[numLayers];
        slidingWindow = parseSliding(c, where);
        List<Long> eos = new ArrayList<>();
        JsonNode e = c.path("eos_token_id");
        if (e.isArray()) {
            e.forEach(x -> eos.add(x.asLong()));
        } else if (e.isNumber()) {
            eos.add(e.asLong());
        }
        eosTokenIds = Collections.unmodifiableList(eos);
        padTokenId = c.hasNonNull("pad_token_id") ? c.get("pad_token_id").asLong() : -1;
        checkpointDtype = c.hasNonNull("dtype")
                ? c.get("dtype").asText()
                : c.path("torch_dtype").asText("float32");
    }

    /** Which layers use the sliding window, from {@code layer_types} (transformers 5) or the family's rule. */
    private int parseSliding(JsonNode c, String where) {
        JsonNode types = c.path("layer_types");
        boolean hasWindow = c.hasNonNull("sliding_window");
        int window = hasWindow ? c.get("sliding_window").asInt() : 0;
        if (types.isArray() && types.size() > 0) {
            if (types.size() != numLayers) {
                throw new IllegalArgumentException(
                        where + ": layer_types has " + types.size() + " entries for " + numLayers + " layers");
            }
            boolean any = false;
            for (int i = 0; i < numLayers; i++) {
                String t = types.get(i).asText();
                if (!t.equals("full_attention") && !t.equals("sliding_attention")) {
                    throw new IllegalArgumentException(where + ": layer_types[" + i + "] = '" + t
                            + "'; supported: full_attention, sliding_attention");
                }
                slidingLayers[i] = t.equals("sliding_attention");
                any |= slidingLayers[i];
            }
            if (any && window <= 0) {
                throw new IllegalArgumentException(where + ": layer_types has sliding_attention but sliding_window is "
                        + c.path("sliding_window"));
            }
            return any ? window : 0;
        }
        if (!hasWindow || window <= 0) {
            return 0;
        }
        if (modelType.equals("mistral")) {
            Arrays.fill(slidingLayers, true);
            return window;
        }
        if ((modelType.equals("qwen2") || modelType.equals("qwen3"))
                && c.path("use_sliding_window").asBoolean(false)) {
            int from = c.path("max_window_layers").asInt(numLayers);
            boolean any = false;
            for (int i = from; i < numLayers; i++) {
                slidingLayers[i] = true;
                any = true;
            }
            return any ? window : 0;
        }
        return 0;
    }

    private static int requireInt(JsonNode c, String key, String where) {
        if (!c.hasNonNull(key) || !c.get(key).canConvertToInt()) {
            throw new IllegalArgumentException(where + ": missing or non-integer '" + key + "'");
        }
        int v = c.get(key).asInt();
        if (v <= 0) {
            throw new IllegalArgumentException(where + ": '" + key + "' must be positive, got " + v);
        }
        return v;
    }

    /** Parses a config.json document; {@code where} names it in errors. */
    public static ModelConfig parse(JsonNode json, String where) {
        return new ModelConfig(json, where);
    }

    /** Reads {@code dir/config.json}. */
    public static ModelConfig read(Path modelDir) throws IOException {
        Path p = modelDir.resolve("config.json");
        if (!p.toFile().isFile()) {
            throw new IOException(
                    modelDir + ": no config.json; a model folder needs config.json and safetensors weights");
        }
        return parse(new ObjectMapper().readTree(p.toFile()), p.toString());
    }

    /** Whether layer {@code i} attends through the sliding window. */
    public boolean isSliding(int layer) {
        return slidingWindow > 0 && slidingLayers[layer];
    }

    /** Whether any layer uses the sliding window. */
    public boolean hasSlidingLayers() {
        if (slidingWindow <= 0) {
            return false;
        }
        for (boolean s : slidingLayers) {
            if (s) {
                return true;
            }
        }
        return false;
    }

    /** Query heads per KV head (grouped-query attention). */
    public int groupSize() {
        return numHeads / numKvHeads;
    }

    @Override
    public String toString() {
        return modelType + " layers=" + numLayers + " hidden=" + hiddenSize + " heads=" + numHeads + "/" + numKvHeads
                + " head_dim=" + headDim + " mlp=" + intermediateSize + " vocab=" + vocabSize + " rope=" + rope
                + (slidingWindow > 0 ? " sliding_window=" + slidingWindow : "") + (tieWordEmbeddings ? " tied" : "");
    }
}
