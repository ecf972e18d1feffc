package dev.finetune.trainer.nf4;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The tensors bitsandbytes / transformers write for one NF4 {@code Linear4bit} weight (docs/formats.md),
 * keyed under the weight's key {@code K} (e.g. {@code model.layers.0.self_attn.q_proj.weight}):
 * {@code K} U8 [ceil(n/2), 1] packed codes; {@code K.absmax} F32 [NB] or, double-quantized, U8 [NB];
 * {@code K.quant_map} F32 [16]; {@code K.nested_absmax} F32 [NB2]; {@code K.nested_quant_map} F32 [256];
 * {@code K.quant_state.bitsandbytes__nf4} U8 JSON of the non-tensor fields.
 */
public final class BnbNf4Tensors {

    private static final ObjectMapper JSON = new ObjectMapper();
    static final String QUANT_STATE_SUFFIX = ".quant_state.bitsandbytes__nf4";

    private BnbNf4Tensors() {}

    /**
     * Exports {@code weight} as bitsandbytes stores it; arrays are created on {@code host}'s device.
     * {@code originalDtype} is the checkpoint dtype's torch name ("bfloat16", "float16", "float32").
     */
    public static Map<String, NDArray> toStateDict(Nf4Weight weight, String key, String originalDtype, NDManager host) {
        Nf4Options o = weight.options();
        Map<String, NDArray> out = new LinkedHashMap<>();
        byte[] packed = Nf4Packing.pack(weight.codes());
        out.put(key, uint8(host, packed, new Shape(packed.length, 1)));
        out.put(key + ".quant_map", host.create(Nf4Code.values()));
        ObjectNode state = JSON.createObjectNode();
        state.put("quant_type", "nf4");
        state.put("blocksize", o.blockSize);
        state.put("dtype", originalDtype);
        state.putArray("shape").add(weight.shape().get(0)).add(weight.shape().get(1));
        DoubleQuantizedAbsmax dq = weight.doubleQuantState();
        if (dq == null) {
            out.put(key + ".absmax", host.create(weight.plainAbsmax()));
        } else {
            byte[] q = dq.codes();
            out.put(key + ".absmax", uint8(host, q, new Shape(q.length)));
            out.put(key + ".nested_absmax", host.create(dq.nestedAbsmax()));
            out.put(key + ".nested_quant_map", host.create(dq.map()));
            state.put("nested_blocksize", dq.nestedBlockSize());
            state.put("nested_dtype", "float32");
            state.put("nested_offset", dq.offset());
        }
        byte[] json = state.toString().getBytes(StandardCharsets.UTF_8);
        out.put(key + QUANT_STATE_SUFFIX, uint8(host, json, new Shape(json.length)));
        for (Map.Entry<String, NDArray> e : out.entrySet()) {
            e.getValue().setName(e.getKey());
        }
        return out;
    }

    /**
     * Reads one weight's tensors from a bitsandbytes state dict and loads it with {@code options}'
     * compute dtype (block sizes come from the file).
     */
    public static Nf4Weight fromStateDict(
            Map<String, NDArray> tensors, String key, Nf4Options options, NDManager parent) {
        NDArray stateBytes = require(tensors, key + QUANT_STATE_SUFFIX);
        JsonNode state;
        try {
            state = JSON.readTree(new String(stateBytes.toByteArray(), StandardCharsets.UTF_8));
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(
                    "tensor " + key + QUANT_STATE_SUFFIX + " is not the JSON quant state bitsandbytes writes", e);
        }
        if (!"nf4".equals(state.path("quant_type").asText())) {
            throw new IllegalArgumentException(
                    "tensor " + key + ": quant_type " + state.path("quant_type") + ", only nf4 is supported");
        }
        Shape shape = new Shape(
                state.path("shape").get(0).asLong(), state.path("shape").get(1).asLong());
        Nf4Options o = options.withBlockSize(state.path("blocksize").asInt());
        float[] quantMap = require(tensors, key + ".quant_map").toFloatArray();
        if (!java.util.Arrays.equals(quantMap, Nf4Code.values())) {
            throw new IllegalArgumentException(
                    "tensor " + key + ".quant_map differs from the NF4 code book; refusing to guess its meaning");
        }
        int n = Math.toIntExact(shape.size());
        byte[] codes = Nf4Packing.unpack(require(tensors, key).toByteArray(), n);
        NDArray absmax = require(tensors, key + ".absmax");
        if (state.has("nested_offset")) {
            int nbs = state.path("nested_blocksize").asInt();
            DoubleQuantizedAbsmax dq = DoubleQuantizedAbsmax.of(
                    absmax.toByteArray(),
                    require(tensors, key + ".nested_absmax").toFloatArray(),
                    (float) state.path("nested_offset").asDouble(),
                    require(tensors, key + ".nested_quant_map").toFloatArray(),
                    nbs);
            return Nf4Weight.fromCodes(
                    codes, shape, null, dq, o.withDoubleQuant(true).withNestedBlockSize(nbs), parent);
        }
        return Nf4Weight.fromCodes(codes, shape, absmax.toFloatArray(), null, o.withDoubleQuant(false), parent);
    }

    private static NDArray require(Map<String, NDArray> tensors, String key) {
        NDArray a = tensors.get(key);
        if (a == null) {
            throw new IllegalArgumentException(
                    "bitsandbytes NF4 tensor " + key + " is missing; present: " + tensors.keySet());
        }
        return a;
    }

    private static NDArray uint8(NDManager m, byte[] bytes, Shape shape) {
        ByteBuffer buf = ByteBuffer.allocateDirect(bytes.length);
        buf.put(bytes).flip();
        return m.create(buf, shape, DataType.UINT8);
    }
}
