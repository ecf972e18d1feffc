package dev.finetune.templates;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A compiled Hugging Face chat template. Renders like transformers' {@code apply_chat_template(...,
 * tokenize=False)}: the variables are {@code messages}, {@code add_generation_prompt}, {@code tools} and
 * {@code documents} (None unless given), and whatever {@code extra} carries (bos_token, eos_token,
 * enable_thinking, ...). Immutable and thread-safe once compiled.
 */
public final class ChatTemplate {
    private final String source;
    private final List<Stmt> body;

    private ChatTemplate(String source, List<Stmt> body) {
        this.source = source;
        this.body = body;
    }

    /** @throws TemplateException naming the line when the template does not parse */
    public static ChatTemplate compile(String source) {
        if (source == null) {
            throw new IllegalArgumentException("chat template is null: the tokenizer has no chat_template");
        }
        List<Token> tokens = new Lexer(source, true, true).tokenize();
        return new ChatTemplate(source, new Parser(tokens).parseTemplate());
    }

    public String source() {
        return source;
    }

    /**
     * @param messages each a map with at least "role" and "content"
     * @param extra more variables (may be null); they override the defaults above
     * @throws TemplateRaisedException when the template calls raise_exception
     * @throws TemplateException when rendering fails (undefined values in arithmetic, bad types, ...)
     */
    public String render(List<? extends Map<String, ?>> messages, boolean addGenerationPrompt, Map<String, ?> extra) {
        Map<String, Object> vars = new HashMap<>();
        vars.put("messages", messages);
        vars.put("add_generation_prompt", addGenerationPrompt);
        vars.put("tools", null);
        vars.put("documents", null);
        if (extra != null) {
            vars.putAll(extra);
        }
        return render(vars);
    }

    /** Renders with exactly these top-level variables (plus the globals). */
    public String render(Map<String, ?> vars) {
        Scope globals = new Scope(null);
        Builtins.installGlobals(globals);
        Scope scope = new Scope(globals);
        vars.forEach(scope::set);
        StringBuilder out = new StringBuilder();
        try {
            Stmt.renderAll(body, scope, out);
        } catch (Stmt.LoopControl c) {
            throw new TemplateException("break or continue outside a for loop");
        }
        return out.toString();
    }
}
