package dev.finetune.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import org.junit.jupiter.api.Test;

/** Parity with transformers' Qwen3 tokenizer outputs (fixtures/reference/qwen3_tokens.json). */
class TextTokenizerTest {
    static final Path FIXTURES = Paths.get(System.getProperty("fixtures.dir", "../test-fixtures"));
    static final Path QWEN3 = Paths.get(System.getProperty("fixtures.tokenizer.dir", "../app/src/demo/tokenizer"));

    static JsonNode reference() throws IOException {
        return new ObjectMapper()
                .readTree(FIXTURES.resolve("reference/qwen3_tokens.json").toFile());
    }

    static int[] ints(JsonNode a) {
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = a.get(i).asInt();
        }
        return r;
    }

    @Test
    void encodesEveryReferenceTextLikeTransformers() throws IOException {
        TextTokenizer tok = TextTokenizer.shared(QWEN3);
        JsonNode ref = reference();
        assertTrue(ref.get("encodings").size() >= 10);
        for (JsonNode e : ref.get("encodings")) {
            String where = e.get("source").asText() + "@" + e.get("offset").asInt();
            assertArrayEquals(ints(e.get("ids")), tok.encode(e.get("text").asText(), false), where);
            assertArrayEquals(
                    ints(e.get("ids_special")), tok.encode(e.get("text").asText(), true), where);
            assertEquals(e.get("text").asText(), tok.decode(ints(e.get("ids"))), where);
        }
        for (JsonNode c : ref.get("chats")) {
            assertArrayEquals(ints(c.get("ids")), tok.encode(c.get("text").asText(), false));
            assertEquals(c.get("text").asText(), tok.decode(ints(c.get("ids"))));
        }
    }

    @Test
    void specialTokensAndVocabularyMatchTheConfig() throws Exception {
        TextTokenizer tok = TextTokenizer.shared(QWEN3);
        JsonNode meta = reference().get("meta");
        assertEquals(meta.get("vocab_size").asInt(), tok.vocabSize());
        assertEquals(meta.get("eos").asText(), tok.files().eosToken);
        assertEquals(meta.get("pad").asText(), tok.files().padToken);
        assertNull(tok.files().bosToken);
        assertEquals(-1, tok.bosId());
        assertEquals(151645, tok.eosId()); // <|im_end|> as in the chats' reference ids
        assertEquals(151643, tok.padId());
        assertEquals("<|im_end|>", tok.idToToken(tok.eosId()));
        assertEquals(tok.eosId(), tok.tokenToId("<|im_end|>"));
        assertTrue(tok.files().chatTemplate.contains("<|im_start|>"));
        byte[] digest =
                MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(QWEN3.resolve("tokenizer.json")));
        assertTrue(tok.fingerprint().startsWith("aeb13307"), tok.fingerprint());
        assertEquals(String.format("%064x", new java.math.BigInteger(1, digest)), tok.fingerprint());
    }

    @Test
    void longTextsAreNeitherTruncatedNorPadded() throws IOException {
        TextTokenizer tok = TextTokenizer.shared(QWEN3);
        String book = new String(
                        Files.readAllBytes(FIXTURES.resolve("text/en_botchan.txt")),
                        java.nio.charset.StandardCharsets.UTF_8)
                .substring(0, 20_000);
        int[] ids = tok.encode(book, false);
        assertTrue(ids.length > 2048, "tokens: " + ids.length); // DJL's default would cut at 512
        assertEquals(book, tok.decode(ids));
        assertEquals(book.length(), tok.encodeWithOffsets(book).ends[ids.length - 1]);
    }

    @Test
    void sharedInstanceIsOnePerDirectory() {
        assertSame(
                TextTokenizer.shared(QWEN3),
                TextTokenizer.shared(QWEN3.resolve("..").resolve(QWEN3.getFileName())));
    }

    @Test
    void offsetsAreUtf16SpansThatCoverTheText() {
        TextTokenizer tok = TextTokenizer.shared(QWEN3);
        String text = "A 🐳 whale, 吾輩は猫である。<|im_end|>\nend 🐳🐳";
        Encoded e = tok.encodeWithOffsets(text);
        assertArrayEquals(tok.encode(text, false), e.ids);
        int covered = 0;
        for (int i = 0; i < e.length(); i++) {
            assertTrue(e.starts[i] <= e.ends[i] && e.ends[i] <= text.length(), "token " + i);
            // byte-level BPE may split one character over several tokens: they share its span
            if (e.starts[i] >= covered) {
                assertEquals(covered, e.starts[i], "gap before token " + i);
                covered = e.ends[i];
            }
        }
        assertEquals(text.length(), covered);
        int imEnd = text.indexOf("<|im_end|>");
        int k = 0;
        while (e.ids[k] != tok.eosId()) {
            k++;
        }
        assertEquals(imEnd, e.starts[k]);
        assertEquals(imEnd + "<|im_end|>".length(), e.ends[k]);
    }
}
