package dev.finetune.app.demo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TinyQwen3Test {

    @TempDir
    static Path shared;

    private static Path written() throws IOException {
        Path dir = shared.resolve("m");
        if (!Files.exists(dir.resolve("model.safetensors"))) {
            TinyQwen3.write(dir, 42);
        }
        return dir;
    }

    static Path tokenizerJson() {
        return Paths.get(System.getProperty("project.root", "..")).resolve("app/src/demo/tokenizer/tokenizer.json");
    }

    @Test
    void theSameSeedWritesByteIdenticalCheckpoints(@TempDir Path dir) throws IOException {
        long t0 = System.nanoTime();
        TinyQwen3.write(dir.resolve("a"), 7);
        System.out.printf("TinyQwen3.write: %.2f s%n", (System.nanoTime() - t0) / 1e9);
        TinyQwen3.write(dir.resolve("b"), 7);
        byte[] a = Files.readAllBytes(dir.resolve("a/model.safetensors"));
        assertArrayEquals(a, Files.readAllBytes(dir.resolve("b/model.safetensors")));
        assertArrayEquals(
                Files.readAllBytes(dir.resolve("a/config.json")), Files.readAllBytes(dir.resolve("b/config.json")));
    }

    @Test
    void theVocabularyIsTheBundledQwen3Tokenizers() throws IOException {
        // independent count: highest id in the BPE vocabulary and the added tokens, plus one
        int max = -1;
        try (JsonParser p = new JsonFactory().createParser(tokenizerJson().toFile())) {
            for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                if (t != JsonToken.VALUE_NUMBER_INT) {
                    continue;
                }
                JsonStreamContext ctx = p.getParsingContext();
                boolean vocabEntry = ctx.getParent() != null
                        && "vocab".equals(ctx.getParent().getCurrentName());
                boolean addedId = "id".equals(ctx.getCurrentName())
                        && ctx.getParent() != null
                        && ctx.getParent().inArray()
                        && "added_tokens".equals(ctx.getParent().getParent().getCurrentName());
                if (vocabEntry && ctx.inObject() || addedId) {
                    max = Math.max(max, p.getIntValue());
                }
            }
        }
        assertEquals(max + 1, TinyQwen3.VOCAB);
    }

    @Test
    void theSafetensorsHeaderDescribesEveryTensorContiguously() throws IOException {
        Path dir = written();
        byte[] file = Files.readAllBytes(dir.resolve("model.safetensors"));
        long n = ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, n % 8);
        JsonNode header = new ObjectMapper().readTree(new String(file, 8, (int) n, "UTF-8").trim());
        assertEquals("pt", header.get("__metadata__").get("format").asText());
        long expectedOffset = 0;
        for (Map.Entry<String, long[]> e : TinyQwen3.tensors().entrySet()) {
            JsonNode t = header.get(e.getKey());
            assertEquals("F32", t.get("dtype").asText());
            assertEquals(expectedOffset, t.get("data_offsets").get(0).asLong(), e.getKey());
            expectedOffset += 4 * TinyQwen3.count(e.getValue());
            assertEquals(expectedOffset, t.get("data_offsets").get(1).asLong(), e.getKey());
        }
        assertEquals(8 + n + expectedOffset, file.length);
        JsonNode config = new ObjectMapper().readTree(dir.resolve("config.json").toFile());
        assertEquals("qwen3", config.get("model_type").asText());
        assertEquals(false, config.get("tie_word_embeddings").asBoolean());
        assertTrue(
                config.get("head_dim").asInt()
                                * config.get("num_attention_heads").asInt()
                        != config.get("hidden_size").asInt(),
                "head_dim should differ from hidden/heads as in Qwen3");
    }

    @Test
    void normsAreOnesAndWeightsHaveTheirIntendedScale() throws IOException {
        Path dir = written();
        byte[] file = Files.readAllBytes(dir.resolve("model.safetensors"));
        long n = ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        JsonNode header = new ObjectMapper().readTree(new String(file, 8, (int) n, "UTF-8").trim());
        ByteBuffer data = ByteBuffer.wrap(file, (int) (8 + n), (int) (file.length - 8 - n))
                .slice()
                .order(ByteOrder.LITTLE_ENDIAN);
        JsonNode norm = header.get("model.norm.weight").get("data_offsets");
        for (long o = norm.get(0).asLong(); o < norm.get(1).asLong(); o += 4) {
            assertEquals(1f, data.getFloat((int) o));
        }
        JsonNode emb = header.get("lm_head.weight").get("data_offsets");
        double sum2 = 0;
        int count = 0;
        for (long o = emb.get(0).asLong(); o < emb.get(1).asLong(); o += 4 * 97) {
            double v = data.getFloat((int) o);
            sum2 += v * v;
            count++;
        }
        assertEquals(1.0 / Math.sqrt(TinyQwen3.HIDDEN), Math.sqrt(sum2 / count), 0.005);
    }
}
