package dev.finetune.trainer.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune.trainer.model.Goldens;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import dev.finetune.tokenize.TextTokenizer;
import java.nio.file.Paths;
import org.junit.jupiter.api.Test;

/** The generate entry point the CLI calls: flags in, greedy ids out. */
class GenerateCommandTest {

    @Test
    void promptIdsWithAdapterPrintTheReferenceGreedyIds() throws Exception {
        Path fam = Goldens.families().get(0);
        JsonNode ref = new ObjectMapper().readTree(fam.resolve("generate.json").toFile());
        StringBuilder prompt = new StringBuilder();
        ref.get("prompt_ids").forEach(x -> prompt.append(prompt.length() > 0 ? "," : "").append(x.asLong()));
        StringBuilder want = new StringBuilder();
        ref.get("greedy_ids").forEach(x -> want.append(want.length() > 0 ? "," : "").append(x.asLong()));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int code = GenerateCommand.run(new String[] {"--model", fam.resolve("base").toString(), "--adapter",
            fam.resolve("adapter").toString(), "--prompt-ids", prompt.toString(), "--max-new-tokens", "12",
            "--greedy", "--print-ids"}, new PrintStream(bytes, true, "UTF-8"));
        String out = new String(bytes.toByteArray(), StandardCharsets.UTF_8);
        assertEquals(0, code, out);
        // the tiny reference model's eos id (2) never comes up in these 12 tokens, as in the reference
        assertTrue(out.contains("ids: " + want), out);
    }

    @Test
    void aBadFlagValuePrintsWhatIsAllowedAndTheUsage() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int code = GenerateCommand.run(new String[] {"--model", "m", "--prompt-ids", "1,2", "--top-p", "1.5"},
                new PrintStream(bytes, true, "UTF-8"));
        String out = new String(bytes.toByteArray(), StandardCharsets.UTF_8);
        assertEquals(2, code);
        assertTrue(out.contains("top_p = 1.5; allowed (0, 1]") && out.contains("usage: generate"), out);
    }

    @Test
    void aChatPromptIsRenderedWithTheGenerationPromptAsTransformersDoes() throws Exception {
        Path fixtures = Paths.get(System.getProperty("fixtures.dir"));
        JsonNode chat = new ObjectMapper().readTree(fixtures.resolve("reference/qwen3_tokens.json").toFile())
                .get("chats").get(3);
        assertTrue(chat.get("add_generation_prompt").asBoolean());
        try (TextTokenizer tok = TextTokenizer.load(fixtures.resolve("tokenizers/qwen3"))) {
            long[] got = GenerateCommand.promptIds(tok, chat.get("messages").get(0).get("content").asText(), false);
            long[] want = new long[chat.get("ids").size()];
            for (int i = 0; i < want.length; i++) {
                want[i] = chat.get("ids").get(i).asLong();
            }
            org.junit.jupiter.api.Assertions.assertArrayEquals(want, got);
        }
    }
}
