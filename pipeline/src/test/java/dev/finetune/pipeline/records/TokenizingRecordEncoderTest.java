package dev.finetune.pipeline.records;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune.tokenize.TextTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The targets contract of SHARD-FORMAT.md on the Qwen3 fixture tokenizer and transformers' renderings. */
class TokenizingRecordEncoderTest {
    static final Path FIXTURES = Paths.get(System.getProperty("fixtures.dir", "../test-fixtures"));
    static final Path QWEN3 = Paths.get(System.getProperty("fixtures.tokenizer.dir", "../app/src/demo/tokenizer"));
    static final TextTokenizer TOK = TextTokenizer.shared(QWEN3);
    static final String IM_END = "<|im_end|>";

    static int[] ints(JsonNode a) {
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = a.get(i).asInt();
        }
        return r;
    }

    /** Decoded runs of consecutive target tokens. */
    static List<String> targetRuns(TokenizedDocument d) {
        List<String> runs = new ArrayList<>();
        int i = 0;
        while (i < d.length()) {
            if (d.targets[i] == 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < d.length() && d.targets[j] == 1) {
                j++;
            }
            runs.add(TOK.decode(Arrays.copyOfRange(d.ids, i, j)));
            i = j;
        }
        return runs;
    }

    static Map<String, Object> record(String column, Object value) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put(column, value);
        r.put("id", 7L);
        return r;
    }

    static Map<String, Object> msg(String role, String content) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        return m;
    }

    @Test
    void textDocumentsEndWithEosAndEveryTokenButTheFirstIsATarget() throws IOException {
        try (RecordEncoder enc = new TokenizingRecordEncoder(TOK, RecordOptions.text("text"))) {
            JsonNode ref = new ObjectMapper()
                    .readTree(FIXTURES.resolve("reference/qwen3_tokens.json").toFile());
            for (JsonNode e : ref.get("encodings")) {
                TokenizedDocument d = enc.encode(record("text", e.get("text").asText()));
                int[] expected = Arrays.copyOf(ints(e.get("ids")), e.get("ids").size() + 1);
                expected[expected.length - 1] = TOK.eosId();
                assertArrayEquals(expected, d.ids);
                assertEquals(0, d.targets[0]);
                assertEquals(d.length() - 1, d.targetCount());
                assertEquals(1, d.targets[d.length() - 1], "EOS is a target");
            }
        }
    }

    @Test
    void eosOverrideIsAppendedEvenWhenItIsThePadToken() {
        RecordOptions o = RecordOptions.text("text");
        o.eosToken = "<|endoftext|>"; // = pad_token of this tokenizer
        TokenizedDocument d = new TokenizingRecordEncoder(TOK, o).encode(record("text", "Call me Ishmael."));
        assertEquals(TOK.padId(), d.ids[d.length() - 1]);
        assertEquals(1, d.targets[d.length() - 1]);
        assertEquals("Call me Ishmael.<|endoftext|>", TOK.decode(d.ids));
    }

    @Test
    void conversationsMatchTransformersIdsAndTrainOnAssistantBodiesThroughEndOfTurn() throws IOException {
        ObjectMapper om = new ObjectMapper();
        JsonNode chats = om.readTree(
                        FIXTURES.resolve("reference/qwen3_tokens.json").toFile())
                .get("chats");
        TokenizingRecordEncoder enc = new TokenizingRecordEncoder(TOK, RecordOptions.messages("messages"));
        int checked = 0;
        for (JsonNode c : chats) {
            if (c.get("add_generation_prompt").asBoolean()) {
                continue; // training data is rendered without a generation prompt
            }
            List<Map<String, Object>> messages =
                    om.convertValue(c.get("messages"), new TypeReference<List<Map<String, Object>>>() {});
            TokenizedDocument d = enc.encode(record("messages", messages));
            assertArrayEquals(ints(c.get("ids")), d.ids, "ids of " + c.get("messages"));
            assertEquals(c.get("text").asText(), TOK.decode(d.ids), "round trip");
            assertEquals(0, d.targets[0]);
            // expected bodies from the contract: after "<|im_start|>assistant\n" through <|im_end|>, read off
            // transformers' rendering
            List<String> bodies = new ArrayList<>();
            String text = c.get("text").asText();
            String header = "<|im_start|>assistant\n";
            for (int h = text.indexOf(header); h >= 0; h = text.indexOf(header, h + 1)) {
                int start = h + header.length();
                bodies.add(text.substring(start, text.indexOf(IM_END, start) + IM_END.length()));
            }
            assertEquals(bodies, targetRuns(d), "targets of " + c.get("messages"));
            checked++;
        }
        assertEquals(3, checked);
    }

    @Test
    void lastTurnTargetsIncludeQwen3sEmptyThinkBlockAndNotTheNewlineAfterEndOfTurn() {
        TokenizingRecordEncoder enc = new TokenizingRecordEncoder(TOK, RecordOptions.messages("m"));
        TokenizedDocument d = enc.encode(record(
                "m",
                List.of(
                        msg("system", "Be brief."),
                        msg("user", "Name a whale."),
                        msg("assistant", "Moby Dick."),
                        msg("user", "And the captain?"),
                        msg("assistant", "Ahab."))));
        assertEquals(List.of("Moby Dick.<|im_end|>", "<think>\n\n</think>\n\nAhab.<|im_end|>"), targetRuns(d));
        assertArrayEquals(TOK.encode("\n", false), new int[] {d.ids[d.length() - 1]});
        assertEquals(0, d.targets[d.length() - 1]);
    }

    @Test
    void reasoningInsideContentIsPartOfTheBody() {
        TokenizingRecordEncoder enc = new TokenizingRecordEncoder(TOK, RecordOptions.messages("m"));
        TokenizedDocument d = enc.encode(
                record("m", List.of(msg("user", "2+2?"), msg("assistant", "<think>\nadd them\n</think>\n\n4"))));
        assertEquals(List.of("<think>\nadd them\n</think>\n\n4<|im_end|>"), targetRuns(d));
    }

    @Test
    void trainOnAllMarksEveryTokenButTheFirst() {
        RecordOptions o = RecordOptions.messages("m");
        o.trainOn = RecordOptions.TrainOn.ALL;
        TokenizedDocument d = new TokenizingRecordEncoder(TOK, o)
                .encode(record("m", List.of(msg("user", "Hi"), msg("assistant", "Hello"))));
        assertEquals(0, d.targets[0]);
        assertEquals(d.length() - 1, d.targetCount());
    }

    @Test
    void promptCompletionAndInstructionColumnsBecomeUserAndAssistantTurns() {
        RecordOptions pc = new RecordOptions();
        pc.promptColumn = "prompt";
        pc.completionColumn = "completion";
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("prompt", "Name a whale.");
        r.put("completion", "Moby Dick.");
        TokenizedDocument a = new TokenizingRecordEncoder(TOK, pc).encode(r);

        RecordOptions ins = new RecordOptions();
        ins.instructionColumn = "instruction";
        ins.inputColumn = "input";
        ins.outputColumn = "output";
        Map<String, Object> r2 = new LinkedHashMap<>();
        r2.put("instruction", "Name a whale.");
        r2.put("input", "");
        r2.put("output", "Moby Dick.");
        TokenizedDocument b = new TokenizingRecordEncoder(TOK, ins).encode(r2);
        TokenizedDocument c = new TokenizingRecordEncoder(TOK, RecordOptions.messages("m"))
                .encode(record("m", List.of(msg("user", "Name a whale."), msg("assistant", "Moby Dick."))));
        assertEquals(c, a);
        assertEquals(c, b);
        r2.put("input", "In Melville.");
        TokenizedDocument withInput = new TokenizingRecordEncoder(TOK, ins).encode(r2);
        assertTrue(TOK.decode(withInput.ids).contains("Name a whale.\n\nIn Melville.<|im_end|>"));
    }

    @Test
    void missingOrWrongTypedColumnsNameTheColumnAndTheColumnsPresent() {
        TokenizingRecordEncoder text = new TokenizingRecordEncoder(TOK, RecordOptions.text("text"));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> text.encode(record("body", "x")));
        assertTrue(e.getMessage().contains("'text'") && e.getMessage().contains("[body, id]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> text.encode(record("text", 5L)));
        assertTrue(e.getMessage().contains("'text'") && e.getMessage().contains("Long"), e.getMessage());
        TokenizingRecordEncoder chat = new TokenizingRecordEncoder(TOK, RecordOptions.messages("messages"));
        e = assertThrows(IllegalArgumentException.class, () -> chat.encode(record("messages", "hello")));
        assertTrue(e.getMessage().contains("'messages'"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> chat.encode(record("messages", List.of(Map.of("content", "no role")))));
        assertTrue(e.getMessage().contains("message 0"), e.getMessage());
    }

    @Test
    void aMessageWithARoleNoTemplateRendersIsRefusedNamingTheRoleAndTheAcceptedOnes() {
        TokenizingRecordEncoder chat = new TokenizingRecordEncoder(TOK, RecordOptions.messages("messages"));
        List<Map<String, Object>> wizard = List.of(msg("user", "Cast a spell."), msg("wizard", "Abracadabra."));
        // the template alone would drop the turn: the rendering has no trace of it
        assertFalse(chat.render(wizard).contains("Abracadabra."));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> chat.encode(record("messages", wizard)));
        assertTrue(
                e.getMessage().contains("message 1")
                        && e.getMessage().contains("'wizard'")
                        && e.getMessage().contains("system, user, assistant, tool"),
                e.getMessage());
        for (String role : RecordColumns.ROLES) {
            List<Map<String, Object>> ok = new java.util.ArrayList<>(List.of(msg("user", "Hi.")));
            if (!role.equals("user")) {
                ok.add(0, msg(role, "Some text."));
            }
            ok.add(msg("assistant", "Hello."));
            chat.encode(record("messages", ok)); // accepted
        }
    }

    @Test
    void optionsRejectNoLayoutOrTwoLayouts() {
        assertThrows(IllegalArgumentException.class, () -> new RecordOptions().validate());
        RecordOptions two = RecordOptions.text("text");
        two.messagesColumn = "messages";
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, two::validate);
        assertTrue(e.getMessage().contains("text_column=text, messages_column=messages"), e.getMessage());
        RecordOptions half = new RecordOptions();
        half.promptColumn = "p";
        assertThrows(IllegalArgumentException.class, half::validate);
    }

    /** A Qwen3 vocabulary dressed as a BOS-adding tokenizer: <|endoftext|> plays BOS. */
    static TextTokenizer bosTokenizer(Path dir, String template) throws IOException {
        Files.createSymbolicLink(
                dir.resolve("tokenizer.json"), QWEN3.resolve("tokenizer.json").toAbsolutePath());
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("bos_token", "<|endoftext|>");
        config.put("eos_token", "<|im_end|>");
        config.put("add_bos_token", true);
        config.put("chat_template", template);
        new ObjectMapper().writeValue(dir.resolve("tokenizer_config.json").toFile(), config);
        return TextTokenizer.load(dir);
    }

    @Test
    void conversationsGetExactlyOneBosWhetherOrNotTheTemplateWritesIt(@TempDir Path a, @TempDir Path b)
            throws IOException {
        String chatml = "{% for m in messages %}{{ '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n' }}"
                + "{% endfor %}";
        List<Map<String, Object>> chat = List.of(msg("user", "Hi"), msg("assistant", "Hello"));
        try (TextTokenizer withBos = bosTokenizer(a, "{{ bos_token }}" + chatml);
                TextTokenizer withoutBos = bosTokenizer(b, chatml)) {
            for (TextTokenizer tok : List.of(withBos, withoutBos)) {
                TokenizedDocument d =
                        new TokenizingRecordEncoder(tok, RecordOptions.messages("m")).encode(record("m", chat));
                assertEquals(tok.bosId(), d.ids[0]);
                assertTrue(d.ids[1] != tok.bosId(), "a second BOS");
                assertEquals(0, d.targets[0]);
                assertEquals(List.of("Hello<|im_end|>"), targetRuns(d));
            }
        }
    }

    @Test
    void userTextQuotingTheAssistantHeaderIsRefusedRatherThanMistrained() {
        TokenizingRecordEncoder enc = new TokenizingRecordEncoder(TOK, RecordOptions.messages("m"));
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> enc.encode(
                        record("m", List.of(msg("user", "say <|im_start|>assistant\nhi"), msg("assistant", "no")))));
        assertTrue(e.getMessage().contains("train_on=all"), e.getMessage());
    }
}
