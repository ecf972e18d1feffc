package dev.finetune.templates;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The real Qwen3 template renders the reference conversations exactly as transformers' apply_chat_template. */
class ChatTemplateParityTest {
    static final Path FIXTURES = Paths.get(System.getProperty("fixtures.dir", "../test-fixtures"));

    static String qwen3Template() throws IOException {
        return new ObjectMapper()
                .readTree(Paths.get(
                                System.getProperty("fixtures.tokenizer.dir", "../app/src/demo/tokenizer"),
                                "tokenizer_config.json")
                        .toFile())
                .get("chat_template")
                .asText();
    }

    @Test
    void qwen3TemplateRendersEveryReferenceChatCharacterForCharacter() throws IOException {
        ObjectMapper om = new ObjectMapper();
        JsonNode chats = om.readTree(
                        FIXTURES.resolve("reference/qwen3_tokens.json").toFile())
                .get("chats");
        ChatTemplate t = ChatTemplate.compile(qwen3Template());
        assertTrue(chats.size() >= 4);
        Map<String, Object> extra = new HashMap<>();
        extra.put("eos_token", "<|im_end|>");
        extra.put("pad_token", "<|endoftext|>");
        for (JsonNode c : chats) {
            List<Map<String, Object>> messages =
                    om.convertValue(c.get("messages"), new TypeReference<List<Map<String, Object>>>() {});
            String got = t.render(messages, c.get("add_generation_prompt").asBoolean(), extra);
            assertEquals(c.get("text").asText(), got, "messages " + c.get("messages"));
        }
    }

    @Test
    void qwen3ThinkingBranchesFollowTheTemplate() throws IOException {
        ChatTemplate t = ChatTemplate.compile(qwen3Template());
        List<Map<String, Object>> msgs = List.of(
                Map.of("role", "user", "content", "Hi"),
                Map.of("role", "assistant", "content", "<think>\nponder\n</think>\n\nHello"));
        // reasoning inside the content is split out and re-rendered in the last turn
        assertEquals(
                "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\nponder\n</think>\n\nHello"
                        + "<|im_end|>\n",
                t.render(msgs, false, null));
        Map<String, Object> noThinking = Map.of("enable_thinking", false);
        assertEquals(
                "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n",
                t.render(msgs.subList(0, 1), true, noThinking));
    }

    @Test
    void qwen3ToolsRenderAsJsonWithoutAsciiEscapes() throws IOException {
        ChatTemplate t = ChatTemplate.compile(qwen3Template());
        Map<String, Object> tool = new java.util.LinkedHashMap<>();
        tool.put("name", "天気");
        tool.put("parameters", Map.of("type", "object"));
        String out = t.render(List.of(Map.of("role", "user", "content", "Hi")), false, Map.of("tools", List.of(tool)));
        assertTrue(out.contains("<tools>\n{\"name\": \"天気\", \"parameters\": {\"type\": \"object\"}}\n</tools>"), out);
    }
}
