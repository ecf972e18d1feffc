package dev.finetune.pipeline.records;

import dev.finetune.templates.ChatTemplate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds the assistant bodies in a rendered conversation, by character offsets.
 *
 * <p>The rule. Once per template, probe conversations with placeholder contents learn two strings: the
 * assistant <b>header</b> H (the longest common prefix of the text the template puts before an assistant
 * content, in a middle turn, in a last turn, and as the generation prompt: {@code <|im_start|>assistant\n} for
 * ChatML/Qwen3, {@code <|start_header_id|>assistant<|end_header_id|>\n\n} for Llama 3) and the <b>end of
 * turn</b> E (the first special token the template writes after an assistant content: {@code <|im_end|>},
 * {@code <|eot_id|>}, {@code </s>}). In a real rendering every occurrence of H opens an assistant turn; its
 * body runs from the end of H through the end of the next E. Nothing depends on the content itself, so
 * templates that rewrite it (Qwen3 moves reasoning into a {@code <think>} block and adds an empty one on the
 * last turn) are handled: what the template puts between header and end of turn is the body.
 *
 * <p>Checks: the number of headers found must equal the number of assistant messages (a user message that
 * quotes the header, or a template that drops turns, fails loudly rather than training on the wrong tokens).
 * Where a template has no usable header (Mistral's {@code [/INST]} followed directly by the answer; Phi-3,
 * whose rendering moves the final EOS when a turn is added), each assistant content (trimmed) is searched for
 * in order instead, and its body starts at the content. Without an end-of-turn token a body ends at the text
 * the template writes after an assistant content (its separator, e.g. a blank line), else where the next
 * header starts, trailing whitespace excluded.
 */
final class AssistantTurns {
    private static final String U1 = "Uuser1Q";
    private static final String A2 = "Aassistant2R";
    private static final String U3 = "Uuser3Q";
    private static final String A4 = "Aassistant4R";

    /** The assistant header, or null when the template has none usable. */
    final String header;
    /** The end-of-turn marker, or null when the template writes no special token after a turn. */
    final String endOfTurn;
    /** Without an end-of-turn token: what the template writes after an assistant content (e.g. "\n\n"). */
    final String separator;

    private AssistantTurns(String header, String endOfTurn, String separator) {
        this.header = header;
        this.endOfTurn = endOfTurn;
        this.separator = separator;
    }

    static AssistantTurns probe(ChatTemplate template, Map<String, Object> vars, List<String> specialTokens) {
        String user = tryRender(template, List.of(msg("user", U1)), false, vars);
        String gen = tryRender(template, List.of(msg("user", U1)), true, vars);
        String last = tryRender(template, List.of(msg("user", U1), msg("assistant", A2)), false, vars);
        String mid = tryRender(
                template,
                List.of(msg("user", U1), msg("assistant", A2), msg("user", U3), msg("assistant", A4)),
                false,
                vars);
        List<String> candidates = new ArrayList<>();
        if (user != null) {
            addBetween(candidates, gen, user, null);
            addBetween(candidates, last, user, A2);
            addBetween(candidates, mid, user, A2);
        }
        String header = null;
        for (String c : candidates) {
            header = header == null ? c : commonPrefix(header, c);
        }
        if (header != null && header.trim().isEmpty()) {
            header = null;
        }
        String endOfTurn = null;
        String after = last != null && last.contains(A2)
                ? last.substring(last.indexOf(A2) + A2.length())
                : mid != null && mid.contains(A2) ? mid.substring(mid.indexOf(A2) + A2.length()) : null;
        if (after != null) {
            int best = Integer.MAX_VALUE;
            for (String s : specialTokens) {
                int i = after.indexOf(s);
                if (i >= 0 && (i < best || i == best && s.length() > endOfTurn.length())) {
                    best = i;
                    endOfTurn = s;
                }
            }
        }
        String separator = endOfTurn == null && after != null && !after.isEmpty() ? after : null;
        return new AssistantTurns(header, endOfTurn, separator);
    }

    /** Character spans [start, end) of the assistant bodies of {@code rendered}, in order. */
    List<int[]> find(String rendered, List<Map<String, Object>> messages) {
        List<Map<String, Object>> assistants = new ArrayList<>();
        for (Map<String, Object> m : messages) {
            if ("assistant".equals(m.get("role"))) {
                assistants.add(m);
            }
        }
        List<int[]> spans = new ArrayList<>();
        int cursor = 0;
        for (Map<String, Object> m : assistants) {
            int start;
            if (header != null) {
                int h = rendered.indexOf(header, cursor);
                if (h < 0) {
                    break;
                }
                start = h + header.length();
            } else {
                // templates often trim the content (Llama 3, Gemma): search for the trimmed text
                Object content = m.get("content");
                String needle = content instanceof String ? ((String) content).trim() : "";
                start = needle.isEmpty() ? -1 : rendered.indexOf(needle, cursor);
                if (start < 0) {
                    throw new IllegalArgumentException("assistant message " + spans.size() + " not found in the "
                            + "rendered conversation: the template rewrites it and has no assistant header to "
                            + "anchor on; set train_on=all for this template");
                }
            }
            int end = bodyEnd(rendered, start);
            spans.add(new int[] {start, end});
            cursor = end;
        }
        int extra = header == null ? 0 : count(rendered, header, cursor);
        if (spans.size() != assistants.size() || extra > 0) {
            throw new IllegalArgumentException("the rendered conversation has " + (spans.size() + extra)
                    + " assistant headers " + quote(header) + " but " + assistants.size() + " assistant messages "
                    + "(a message quoting the header, or a template that drops turns); set train_on=all to train "
                    + "on such records, or remove them");
        }
        return spans;
    }

    private int bodyEnd(String rendered, int start) {
        int limit = rendered.length();
        if (header != null) {
            int next = rendered.indexOf(header, start);
            if (next >= 0) {
                limit = next;
            }
        }
        if (endOfTurn != null) {
            int e = rendered.indexOf(endOfTurn, start);
            if (e >= 0 && e < limit) {
                return e + endOfTurn.length();
            }
        }
        // no end-of-turn token: the body runs to the template's separator (a content containing it is cut
        // there: such templates are ambiguous) or the next turn, trailing whitespace out
        int end = limit;
        if (separator != null) {
            int sep = rendered.indexOf(separator, start);
            if (sep >= 0 && sep < limit) {
                end = sep;
            }
        }
        while (end > start && Character.isWhitespace(rendered.charAt(end - 1))) {
            end--;
        }
        return end;
    }

    private static void addBetween(List<String> out, String rendered, String prefix, String until) {
        if (rendered == null || !rendered.startsWith(prefix)) {
            return;
        }
        int end = until == null ? rendered.length() : rendered.indexOf(until, prefix.length());
        if (end > prefix.length()) {
            out.add(rendered.substring(prefix.length(), end));
        }
    }

    private static String tryRender(
            ChatTemplate t, List<Map<String, Object>> msgs, boolean gen, Map<String, Object> vars) {
        try {
            return t.render(msgs, gen, vars);
        } catch (RuntimeException e) { // a template may refuse a probe shape (raise_exception); others remain
            return null;
        }
    }

    private static Map<String, Object> msg(String role, String content) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        return m;
    }

    private static String commonPrefix(String a, String b) {
        int i = 0;
        while (i < a.length() && i < b.length() && a.charAt(i) == b.charAt(i)) {
            i++;
        }
        return a.substring(0, i);
    }

    private static int count(String s, String sub, int from) {
        int n = 0;
        for (int i = s.indexOf(sub, from); i >= 0; i = s.indexOf(sub, i + sub.length())) {
            n++;
        }
        return n;
    }

    private static String quote(String s) {
        return s == null ? "(none)" : "'" + s.replace("\n", "\\n") + "'";
    }
}
