package dev.finetune.pipeline.records;

import dev.finetune.templates.ChatTemplate;
import dev.finetune.templates.TemplateException;
import dev.finetune.tokenize.Encoded;
import dev.finetune.tokenize.TextTokenizer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@link RecordEncoder} of common/SHARD-FORMAT.md's targets contract.
 * <ul>
 *   <li>Plain text: the tokenizer's ids (with its own special tokens, e.g. a Llama BOS), then EOS; every
 *       token after the first is a target, EOS included.</li>
 *   <li>Conversations: rendered with the chat template (no generation prompt), tokenized without added
 *       special tokens, as transformers' apply_chat_template does; a BOS is prepended only when the
 *       tokenizer adds one and the rendering does not already start with it. Targets are the tokens
 *       overlapping an assistant body ({@link AssistantTurns}); with train_on=all every token after the
 *       first. No EOS is appended: the end-of-turn token ends the conversation.</li>
 * </ul>
 * The first token is never a target. Every bad record (missing or mistyped column, a conversation the template
 * refuses, assistant turns that cannot be located) is an IllegalArgumentException saying why. Thread-safe: the
 * tokenizer and template are immutable.
 */
public final class TokenizingRecordEncoder implements RecordEncoder {
    private final TextTokenizer tokenizer;
    private final RecordOptions options;
    private final int eosId;
    private final int bosId;
    private final ChatTemplate template;
    private final Map<String, Object> templateVars;
    private final AssistantTurns turns;

    /** @param tokenizer shared per JVM ({@link TextTokenizer#shared}); not closed by {@link #close()} */
    public TokenizingRecordEncoder(TextTokenizer tokenizer, RecordOptions options) {
        this.tokenizer = tokenizer;
        this.options = options.validate();
        String eos = options.eosToken != null ? options.eosToken : tokenizer.files().eosToken;
        this.eosId = eos == null ? -1 : tokenizer.tokenToId(eos);
        this.bosId = tokenizer.bosId();
        if (options.layout() == RecordOptions.Layout.TEXT) {
            if (options.addEos && eosId < 0) {
                throw new IllegalArgumentException(
                        eos == null
                                ? "tokenizer_config.json in " + tokenizer.directory()
                                        + " has no eos_token: set eos_token"
                                : "eos_token '" + eos + "' is not in the vocabulary of " + tokenizer.directory());
            }
            this.template = null;
            this.templateVars = null;
            this.turns = null;
        } else {
            String source = tokenizer.files().chatTemplate;
            if (source == null) {
                throw new IllegalArgumentException("the tokenizer in " + tokenizer.directory() + " has no chat "
                        + "template (tokenizer_config.json chat_template or chat_template.jinja): conversations need "
                        + "one; use text_column for plain text");
            }
            this.template = ChatTemplate.compile(source);
            this.templateVars = new LinkedHashMap<>();
            // transformers passes the special tokens that are set; an unset one stays undefined
            putIfSet(templateVars, "bos_token", tokenizer.files().bosToken);
            putIfSet(templateVars, "eos_token", tokenizer.files().eosToken);
            putIfSet(templateVars, "pad_token", tokenizer.files().padToken);
            templateVars.putAll(options.chatTemplateKwargs);
            this.turns = AssistantTurns.probe(template, templateVars, tokenizer.specialTokens());
        }
    }

    @Override
    public TokenizedDocument encode(Map<String, Object> record) {
        return options.layout() == RecordOptions.Layout.TEXT
                ? encodeText(RecordColumns.text(record, options.textColumn))
                : encodeConversation(RecordColumns.messages(record, options));
    }

    TokenizedDocument encodeText(String text) {
        int[] ids = tokenizer.encode(text, true);
        if (ids.length >= 2 && bosId >= 0 && ids[0] == bosId && ids[1] == bosId) {
            ids = java.util.Arrays.copyOfRange(ids, 1, ids.length); // the text itself began with BOS
        }
        if (options.addEos) {
            ids = java.util.Arrays.copyOf(ids, ids.length + 1);
            ids[ids.length - 1] = eosId;
        }
        byte[] targets = new byte[ids.length];
        java.util.Arrays.fill(targets, (byte) 1);
        if (targets.length > 0) {
            targets[0] = 0;
        }
        return new TokenizedDocument(ids, targets);
    }

    /** The text a conversation renders to (what {@link #encode} tokenizes). */
    public String render(List<Map<String, Object>> messages) {
        try {
            return template.render(messages, false, templateVars);
        } catch (TemplateException e) { // incl. the template's own raise_exception: the record is bad input
            throw new IllegalArgumentException(
                    "the chat template cannot render this conversation: " + e.getMessage(), e);
        }
    }

    TokenizedDocument encodeConversation(List<Map<String, Object>> messages) {
        String rendered = render(messages);
        Encoded enc = tokenizer.encodeWithOffsets(rendered);
        boolean addBos =
                tokenizer.files().addBosToken && bosId >= 0 && !rendered.startsWith(tokenizer.files().bosToken);
        int shift = addBos ? 1 : 0;
        int[] ids = new int[enc.length() + shift];
        byte[] targets = new byte[ids.length];
        if (addBos) {
            ids[0] = bosId;
        }
        System.arraycopy(enc.ids, 0, ids, shift, enc.length());
        if (options.trainOn == RecordOptions.TrainOn.ALL) {
            java.util.Arrays.fill(targets, (byte) 1);
        } else {
            List<int[]> spans = turns.find(rendered, messages);
            int s = 0;
            for (int t = 0; t < enc.length() && s < spans.size(); t++) {
                while (s < spans.size() && enc.starts[t] >= spans.get(s)[1]) {
                    s++; // the token starts past this span: later tokens do too
                }
                if (s < spans.size() && overlaps(enc.starts[t], enc.ends[t], spans.get(s))) {
                    targets[t + shift] = 1;
                }
            }
        }
        if (targets.length > 0) {
            targets[0] = 0;
        }
        return new TokenizedDocument(ids, targets);
    }

    /** A token is in a body when its characters overlap it (a character split over tokens counts for all). */
    private static boolean overlaps(int start, int end, int[] span) {
        if (start == end) {
            return start >= span[0] && start < span[1];
        }
        return start < span[1] && end > span[0];
    }

    private static void putIfSet(Map<String, Object> vars, String key, String value) {
        if (value != null) {
            vars.put(key, value);
        }
    }

    @Override
    public void close() {
        // the tokenizer is shared per JVM and closed at exit
    }
}
