package dev.finetune.pipeline.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune.pipeline.ingest.TokenizerEncoderFactory;
import dev.finetune.shards.Manifest;
import dev.finetune.shards.ShardRow;
import dev.finetune.shards.ShardSet;
import dev.finetune.tokenize.TextTokenizer;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * prepare on Spark local[2] with the fixture Qwen3 tokenizer, checked against transformers' reference ids
 * (qwen3_tokens.json) and by decoding the shards back to the documents (Japanese and English).
 */
class PrepareTokenizerTest {
    private static final int EOS = 151645; // <|im_end|>, Qwen3's eos_token
    private static SparkSession spark;
    private static JsonNode reference;
    private static Path tokenizer;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() throws IOException {
        spark = SparkTestSession.start("local[2]");
        tokenizer = FixtureDocuments.tokenizer();
        reference = new ObjectMapper()
                .readTree(FixtureDocuments.fixtures()
                        .resolve("reference/qwen3_tokens.json")
                        .toFile());
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private PrepareOptions options(Path in, String column) {
        PrepareOptions o = new PrepareOptions();
        o.source = in.toString();
        o.output = tmp.resolve("out").toString();
        o.tokenizer = tokenizer.toString();
        if (column.equals("messages")) {
            o.messagesColumn = column;
        }
        o.maxSeqLength = 2048;
        o.windowDocuments = 40;
        return o;
    }

    private static Manifest run(PrepareOptions o) throws IOException {
        return new PrepareJob(spark, o, new TokenizerEncoderFactory(o.tokenizer, o.records()), "test").run();
    }

    /** Segments of every row, in row order: ids and targets. */
    private static List<int[][]> segments(ShardSet set) throws IOException {
        List<int[][]> out = new ArrayList<>();
        for (long i = 0; i < set.rows("train"); i++) {
            ShardRow r = set.row("train", i);
            int t = 0;
            while (t < r.length() && r.segments[t] != 0) {
                int s = t;
                while (t < r.length() && r.segments[t] == r.segments[s]) {
                    t++;
                }
                int[] targets = new int[t - s];
                for (int k = 0; k < targets.length; k++) {
                    targets[k] = r.targets[s + k];
                }
                out.add(new int[][] {Arrays.copyOfRange(r.ids, s, t), targets});
            }
        }
        return out;
    }

    @Test
    void plainTextIdsEqualTransformersAndEndWithATrainedEos() throws IOException {
        List<String> texts = new ArrayList<>();
        List<int[]> expected = new ArrayList<>();
        for (JsonNode e : reference.get("encodings")) {
            texts.add(e.get("text").asText());
            int[] ids = new int[e.get("ids").size() + 1];
            for (int i = 0; i < ids.length - 1; i++) {
                ids[i] = e.get("ids").get(i).asInt();
            }
            ids[ids.length - 1] = EOS;
            expected.add(ids);
        }
        FixtureDocuments.writeJsonl(tmp.resolve("in"), texts, 1);
        PrepareOptions o = options(tmp.resolve("in"), "text");
        o.packing = false;
        Manifest m = run(o);
        try (ShardSet set = ShardSet.open(new org.apache.hadoop.fs.Path(o.output), new Configuration())) {
            List<int[][]> segs = segments(set);
            assertEquals(expected.size(), segs.size());
            for (int d = 0; d < expected.size(); d++) {
                assertArrayEquals(expected.get(d), segs.get(d)[0], "document " + d);
                int[] targets = segs.get(d)[1];
                assertEquals(0, targets[0]);
                for (int t = 1; t < targets.length; t++) {
                    assertEquals(1, targets[t], "plain text trains every token after the first");
                }
            }
        }
        assertEquals(151669, m.tokenizer.vocabSize);
        assertEquals(EOS, m.tokenizer.eosTokenId);
        assertEquals(151643, m.tokenizer.padTokenId);
        assertEquals("text", m.template.kind);
    }

    @Test
    void packedFixtureDocumentsDecodeBackToTheirText() throws IOException {
        List<String> docs = new ArrayList<>(FixtureDocuments.mixed(60));
        docs.removeIf(d -> d.length() > 1500); // at most ~1.3 tokens per character: every document fits a row
        FixtureDocuments.writeJsonl(tmp.resolve("in"), docs, 2);
        PrepareOptions o = options(tmp.resolve("in"), "text");
        Manifest m = run(o);
        assertEquals(0, m.splits.get("train").splitDocuments, "every fixture document fits a row");
        Map<String, Integer> expected = new HashMap<>();
        docs.forEach(d -> expected.merge(d + "<|im_end|>", 1, Integer::sum));
        Map<String, Integer> decoded = new HashMap<>();
        try (TextTokenizer tok = TextTokenizer.load(tokenizer);
                ShardSet set = ShardSet.open(new org.apache.hadoop.fs.Path(o.output), new Configuration())) {
            for (int[][] seg : segments(set)) {
                decoded.merge(tok.decode(seg[0]), 1, Integer::sum);
            }
        }
        assertEquals(expected, decoded);
        assertTrue(
                m.splits.get("train").packingEfficiency > 0.8, "efficiency " + m.splits.get("train").packingEfficiency);
    }

    @Test
    void conversationsRenderAndTokenizeLikeTransformersApplyChatTemplate() throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<int[]> expected = new ArrayList<>();
        List<Boolean> hasAssistant = new ArrayList<>();
        Files.createDirectories(tmp.resolve("chats"));
        try (BufferedWriter w = Files.newBufferedWriter(tmp.resolve("chats/chats.jsonl"), StandardCharsets.UTF_8)) {
            for (JsonNode c : reference.get("chats")) {
                if (c.get("add_generation_prompt").asBoolean()) {
                    continue; // training data never ends with an open generation prompt
                }
                w.write(json.writeValueAsString(Collections.singletonMap("messages", c.get("messages"))));
                w.write('\n');
                int[] ids = new int[c.get("ids").size()];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = c.get("ids").get(i).asInt();
                }
                expected.add(ids);
                hasAssistant.add(c.get("messages").findValuesAsText("role").contains("assistant"));
            }
        }
        PrepareOptions o = options(tmp.resolve("chats"), "messages");
        o.packing = false;
        Manifest m = run(o);
        assertEquals("chat", m.template.kind);
        try (ShardSet set = ShardSet.open(new org.apache.hadoop.fs.Path(o.output), new Configuration())) {
            List<int[][]> segs = segments(set);
            assertEquals(expected.size(), segs.size());
            for (int d = 0; d < expected.size(); d++) {
                assertArrayEquals(expected.get(d), segs.get(d)[0], "conversation " + d);
                int trained = Arrays.stream(segs.get(d)[1]).sum();
                assertTrue(trained < expected.get(d).length, "prompt tokens are not trained");
                assertEquals(hasAssistant.get(d), trained > 0, "assistant turns are trained");
            }
        }
    }

    @Test
    void aMissingTokenizerDirectoryIsNamed() throws IOException {
        FixtureDocuments.writeJsonl(tmp.resolve("in"), Collections.singletonList("x"), 1);
        PrepareOptions o = options(tmp.resolve("in"), "text");
        o.tokenizer = tmp.resolve("no-tokenizer").toString();
        IllegalArgumentException e =
                org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> run(o));
        assertTrue(e.getMessage().contains("no-tokenizer"), e.getMessage());
    }

    @Test
    void aConversationWithAnUnknownRoleFailsNamingTheFileRecordAndRoleAndPublishesNothing() throws IOException {
        Path in = Files.createDirectories(tmp.resolve("chats"));
        ObjectMapper json = new ObjectMapper();
        try (BufferedWriter w = Files.newBufferedWriter(in.resolve("spells.jsonl"), StandardCharsets.UTF_8)) {
            for (String role : new String[] {"assistant", "assistant", "wizard"}) {
                List<Map<String, String>> conversation = new ArrayList<>();
                conversation.add(Map.of("role", "user", "content", "Cast a spell."));
                conversation.add(Map.of("role", role, "content", "Abracadabra."));
                w.write(json.writeValueAsString(Collections.singletonMap("messages", conversation)));
                w.newLine();
            }
        }
        PrepareOptions o = options(in, "messages");
        Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> run(o));
        StringBuilder chain = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            chain.append(t.getMessage()).append(" | ");
        }
        String all = chain.toString();
        assertTrue(
                all.contains("record 2 (")
                        && all.contains("spells.jsonl")
                        && all.contains("'wizard'")
                        && all.contains("system, user, assistant, tool"),
                all);
        assertTrue(!Files.exists(tmp.resolve("out/_SUCCESS")), "nothing published");
    }
}
