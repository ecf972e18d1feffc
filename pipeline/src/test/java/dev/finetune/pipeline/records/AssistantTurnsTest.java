package dev.finetune.pipeline.records;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune.templates.ChatTemplate;
import java.io.IOException;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The assistant-body rule on templates shaped like the families we fine-tune (written here, not copied). */
class AssistantTurnsTest {
    static final List<Map<String, Object>> CHAT = List.of(
            msg("system", "Be brief."),
            msg("user", " Name a whale. "),
            msg("assistant", " Moby Dick. "),
            msg("user", "Captain?"),
            msg("assistant", "Ahab."));

    static Map<String, Object> msg(String role, String content) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        return m;
    }

    static List<String> bodies(
            String template, Map<String, Object> vars, List<String> specials, List<Map<String, Object>> chat) {
        ChatTemplate t = ChatTemplate.compile(template);
        String rendered = t.render(chat, false, vars);
        List<String> out = new ArrayList<>();
        for (int[] s : AssistantTurns.probe(t, vars, specials).find(rendered, chat)) {
            out.add(rendered.substring(s[0], s[1]));
        }
        return out;
    }

    @Test
    void qwen3BodiesRunFromAfterTheHeaderThroughImEndWhateverEnableThinkingSays() throws IOException {
        String qwen3 = new ObjectMapper()
                .readTree(Paths.get(
                                System.getProperty("fixtures.tokenizer.dir", "../app/src/demo/tokenizer"),
                                "tokenizer_config.json")
                        .toFile())
                .get("chat_template")
                .asText();
        List<String> specials = List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>");
        ChatTemplate t = ChatTemplate.compile(qwen3);
        Map<String, Object> noThinking = Map.of("enable_thinking", false);
        AssistantTurns turns = AssistantTurns.probe(t, noThinking, specials);
        assertEquals("<|im_start|>assistant\n", turns.header);
        assertEquals("<|im_end|>", turns.endOfTurn);
        assertEquals(
                List.of(" Moby Dick. <|im_end|>", "<think>\n\n</think>\n\nAhab.<|im_end|>"),
                bodies(qwen3, noThinking, specials, CHAT));
    }

    @Test
    void llama3StyleHeaderAndEotIdAreLearnedAndTrimmedContentIsTheBody() {
        String llama =
                "{{ bos_token }}{% for m in messages %}{{ '<|start_header_id|>' + m.role + '<|end_header_id|>\\n\\n'"
                        + " + m.content | trim + '<|eot_id|>' }}{% endfor %}"
                        + "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";
        List<String> specials = List.of("<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>");
        Map<String, Object> vars = Map.of("bos_token", "<|begin_of_text|>");
        assertEquals(List.of("Moby Dick.<|eot_id|>", "Ahab.<|eot_id|>"), bodies(llama, vars, specials, CHAT));
    }

    @Test
    void templateWithoutHeaderFallsBackToTheContentAndEndsAtEos() {
        // Mistral-like: the answer follows [/INST] directly, the turn ends with the EOS token
        String mistral =
                "{{ bos_token }}{% for m in messages %}{% if m.role == 'user' %}{{ '[INST] ' + m.content | trim"
                        + " + ' [/INST]' }}{% elif m.role == 'assistant' %}{{ m.content | trim + eos_token }}{% endif %}{% endfor %}";
        List<String> specials = List.of("<s>", "</s>", "[INST]", "[/INST]");
        Map<String, Object> vars = Map.of("bos_token", "<s>", "eos_token", "</s>");
        ChatTemplate t = ChatTemplate.compile(mistral);
        assertNull(AssistantTurns.probe(t, vars, specials).header);
        assertEquals(List.of("Moby Dick.</s>", "Ahab.</s>"), bodies(mistral, vars, specials, CHAT));
    }

    @Test
    void templateWithoutEndOfTurnTokenEndsTheBodyBeforeTheNextTurn() {
        String plain =
                "{% for m in messages %}{% if m.role == 'assistant' %}### Response:\n{% else %}### Input:\n{% endif %}"
                        + "{{ m.content }}\n\n{% endfor %}{% if add_generation_prompt %}### Response:\n{% endif %}";
        assertEquals(List.of(" Moby Dick.", "Ahab."), bodies(plain, Map.of(), List.of("<|endoftext|>"), CHAT));
    }
}
