package dev.finetune.tokenize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tokenizer_config.json in the forms the Hub holds (transformers writes all of them). */
class TokenizerFilesTest {
    @TempDir
    Path dir;

    private void write(String name, String text) throws IOException {
        Files.write(dir.resolve(name), text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readsAddedTokenObjectsAndTheDefaultOfNamedTemplates() throws IOException {
        write(
                "tokenizer_config.json",
                "{\"bos_token\": {\"content\": \"<s>\", \"lstrip\": false},"
                        + " \"eos_token\": \"</s>\", \"add_bos_token\": true, \"chat_template\": ["
                        + "{\"name\": \"tool_use\", \"template\": \"T\"}, {\"name\": \"default\", \"template\": \"D\"}]}");
        TokenizerFiles f = TokenizerFiles.read(dir);
        assertEquals("<s>", f.bosToken);
        assertEquals("</s>", f.eosToken);
        assertNull(f.padToken);
        assertTrue(f.addBosToken);
        assertEquals("D", f.chatTemplate);
    }

    @Test
    void chatTemplateJinjaBesideTheConfigWins() throws IOException {
        write("tokenizer_config.json", "{\"chat_template\": \"old\"}");
        write("chat_template.jinja", "{{ messages }}");
        assertEquals("{{ messages }}", TokenizerFiles.read(dir).chatTemplate);
    }

    @Test
    void missingConfigMeansNoSpecialTokensAndNoTemplate() throws IOException {
        TokenizerFiles f = TokenizerFiles.read(dir);
        assertNull(f.eosToken);
        assertNull(f.chatTemplate);
    }

    @Test
    void malformedTokenEntryNamesTheKeyAndFile() throws IOException {
        write("tokenizer_config.json", "{\"eos_token\": 5}");
        IOException e = assertThrows(IOException.class, () -> TokenizerFiles.read(dir));
        assertTrue(
                e.getMessage().contains("eos_token") && e.getMessage().contains("tokenizer_config.json"),
                e.getMessage());
    }

    @Test
    void directoryWithoutTokenizerJsonIsRefusedWithTheFix() {
        IOException e = assertThrows(IOException.class, () -> TextTokenizer.load(dir));
        assertTrue(e.getMessage().contains("no tokenizer.json"), e.getMessage());
    }
}
