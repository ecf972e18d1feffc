package dev.finetune.trainer.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;

/** Reads optimizer_goldens.json, made by trainer/tools/make_optimizer_goldens.py with torch + transformers. */
final class OptimizerGoldens {

    private OptimizerGoldens() {}

    static JsonNode load() throws IOException {
        try (InputStream in = OptimizerGoldens.class.getResourceAsStream("optimizer_goldens.json")) {
            if (in == null) {
                throw new IOException("optimizer_goldens.json missing from test resources; regenerate it with "
                        + "trainer/tools/make_optimizer_goldens.py");
            }
            return new ObjectMapper().readTree(in);
        }
    }

    static float[] floats(JsonNode array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) array.get(i).asDouble();
        }
        return out;
    }

    static long[] shape(JsonNode dims) {
        long[] out = new long[dims.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = dims.get(i).asLong();
        }
        return out;
    }
}
