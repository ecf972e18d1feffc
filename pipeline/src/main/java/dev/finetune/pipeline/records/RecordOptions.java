package dev.finetune.pipeline.records;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Which columns of a record hold the document and which tokens are trained on. Exactly one layout is set:
 * <ul>
 *   <li>{@code text_column}: plain text, every token a target, EOS appended;</li>
 *   <li>{@code messages_column}: a list of {role, content} rendered with the chat template;</li>
 *   <li>{@code prompt_column} + {@code completion_column}: strings (→ one user and one assistant message) or
 *       lists of messages (TRL's conversational prompt-completion form);</li>
 *   <li>{@code instruction_column} + {@code output_column} (+ optional {@code input_column}): Alpaca style;
 *       the user message is the instruction, followed by a blank line and the input when it is non-empty.</li>
 * </ul>
 */
public final class RecordOptions implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Which tokens of a conversation are targets. */
    public enum TrainOn {
        /** Only the assistant bodies through their end-of-turn token (default). */
        @JsonProperty("assistant")
        ASSISTANT,
        /** Every token after the first (prompt tokens included). */
        @JsonProperty("all")
        ALL
    }

    /** Column of plain text documents. Default none. */
    @JsonProperty("text_column")
    public String textColumn;

    /** Column of conversations: a list of maps with "role" and "content". Default none. */
    @JsonProperty("messages_column")
    public String messagesColumn;

    @JsonProperty("prompt_column")
    public String promptColumn;

    @JsonProperty("completion_column")
    public String completionColumn;

    @JsonProperty("instruction_column")
    public String instructionColumn;

    /** Optional with instruction_column: extra context appended to the instruction. */
    @JsonProperty("input_column")
    public String inputColumn;

    @JsonProperty("output_column")
    public String outputColumn;

    /** Default assistant: training on prompts wastes capacity and teaches the model to write user turns. */
    @JsonProperty("train_on")
    public TrainOn trainOn = TrainOn.ASSISTANT;

    /** Overrides tokenizer_config.json's eos_token for plain text (e.g. a base model's <|endoftext|>). */
    @JsonProperty("eos_token")
    public String eosToken;

    /** Append EOS to each plain-text document (default true) so the model learns where documents end. */
    @JsonProperty("add_eos")
    public boolean addEos = true;

    /** Extra chat-template variables, as transformers' chat_template_kwargs (e.g. enable_thinking: false). */
    @JsonProperty("chat_template_kwargs")
    public Map<String, Object> chatTemplateKwargs = new LinkedHashMap<>();

    public enum Layout {
        TEXT,
        MESSAGES,
        PROMPT_COMPLETION,
        INSTRUCTION
    }

    /** The layout the set columns select; call after {@link #validate()}. */
    public Layout layout() {
        if (textColumn != null) {
            return Layout.TEXT;
        }
        if (messagesColumn != null) {
            return Layout.MESSAGES;
        }
        if (promptColumn != null) {
            return Layout.PROMPT_COMPLETION;
        }
        return Layout.INSTRUCTION;
    }

    /** @throws IllegalArgumentException naming the options when no layout or more than one is configured */
    public RecordOptions validate() {
        int layouts = (textColumn != null ? 1 : 0)
                + (messagesColumn != null ? 1 : 0)
                + (promptColumn != null || completionColumn != null ? 1 : 0)
                + (instructionColumn != null || outputColumn != null || inputColumn != null ? 1 : 0);
        if (layouts != 1) {
            throw new IllegalArgumentException("set exactly one of text_column, messages_column, "
                    + "prompt_column + completion_column, or instruction_column + output_column [+ input_column]; "
                    + "found " + describe());
        }
        if ((promptColumn == null) != (completionColumn == null)) {
            throw new IllegalArgumentException("prompt_column and completion_column go together; found " + describe());
        }
        if ((instructionColumn != null || inputColumn != null || outputColumn != null)
                && (instructionColumn == null || outputColumn == null)) {
            throw new IllegalArgumentException("instruction_column and output_column are both required "
                    + "(input_column is optional); found " + describe());
        }
        if (trainOn == null) {
            throw new IllegalArgumentException("train_on must be 'assistant' or 'all', found null");
        }
        if (eosToken != null && eosToken.isEmpty()) {
            throw new IllegalArgumentException("eos_token must be a token of the vocabulary or unset, found ''");
        }
        if (chatTemplateKwargs == null) {
            chatTemplateKwargs = new LinkedHashMap<>();
        }
        return this;
    }

    private String describe() {
        StringBuilder sb = new StringBuilder();
        String[][] opts = {
            {"text_column", textColumn},
            {"messages_column", messagesColumn},
            {"prompt_column", promptColumn},
            {"completion_column", completionColumn},
            {"instruction_column", instructionColumn},
            {"input_column", inputColumn},
            {"output_column", outputColumn}
        };
        for (String[] o : opts) {
            if (o[1] != null) {
                sb.append(sb.length() == 0 ? "" : ", ").append(o[0]).append('=').append(o[1]);
            }
        }
        return sb.length() == 0 ? "none set" : sb.toString();
    }

    public static RecordOptions text(String column) {
        RecordOptions o = new RecordOptions();
        o.textColumn = column;
        return o;
    }

    public static RecordOptions messages(String column) {
        RecordOptions o = new RecordOptions();
        o.messagesColumn = column;
        return o;
    }
}
