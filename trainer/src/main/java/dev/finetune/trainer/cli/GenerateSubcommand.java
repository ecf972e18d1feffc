package dev.finetune.trainer.cli;

import dev.finetune.config.RunConfig;
import dev.finetune.config.Section;
import java.io.PrintStream;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/** The notebook's inference cells: one prompt (generate) or an interactive conversation (chat). */
final class GenerateSubcommand extends Subcommand {
    private final boolean chat;

    GenerateSubcommand(boolean chat) {
        super(chat ? "chat" : "generate", chat
                ? "Interactive chat with base model + adapter (the notebook's interactive cell)"
                : "Generate text from base model + adapter for a prompt (the notebook's inference demo)");
        this.chat = chat;
    }

    @Override
    String description() {
        return (chat
                ? "Loads the base model and the adapter, then reads your messages from the console and answers "
                        + "each through the model's chat template, streaming tokens; an empty line or /exit ends.\n\n"
                        + "  jobs/finetune chat --config conf/t4-16gb.yaml"
                : "Loads the base model and the adapter (by default the run's final/ folder) and generates "
                        + "max_new_tokens tokens for each prompt (--prompt, or the prompts key), streaming them. "
                        + "Prompts go through the chat template unless --raw is given. --prompt-ids takes token "
                        + "ids instead of text, for checkpoints without a tokenizer.\n\n"
                        + "  jobs/finetune generate --config conf/t4-16gb.yaml --prompt \"Explain LoRA briefly.\"\n"
                        + "  jobs/finetune generate --model DIR --adapter DIR --prompt-ids 185,487,202 "
                        + "--max-new-tokens 12 --greedy --print-ids");
    }

    @Override
    List<Flag> flags() {
        List<Flag> f = flags(
                Flag.value("model", "DIR|ID", "Base model folder or Hub id (same as --base-model-id)."),
                Flag.value("adapter", "DIR", "LoRA adapter folder (peft layout); 'none' for the base model alone.",
                        "<base_save_dir>/<project_name>/final when it exists"),
                Flag.toggle("greedy", "Greedy decoding (same as --temperature 0)."));
        if (!chat) {
            f.add(Flag.value("prompt", "TEXT", "Prompt; repeat the flag for several (generated together)."));
            f.add(Flag.value("prompt-ids", "I,J,...", "Prompt as token ids instead of text."));
            f.add(Flag.toggle("raw", "Feed the prompt as plain text, without the chat template."));
            f.add(Flag.toggle("print-ids", "Also print the generated token ids."));
        }
        return f;
    }

    @Override
    Set<Section> sections() {
        return EnumSet.of(Section.PROJECT, Section.MODEL, Section.GENERATION, Section.RUNTIME);
    }

    @Override
    int run(CommandLine line, PrintStream out) throws Exception {
        throw new UnavailableException("generation has not landed yet");
    }

    /** Texts generated for each prompt, and how many tokens each has. */
    static final class Generated {
        final List<String> texts;
        final List<Integer> tokenCounts;

        Generated(List<String> texts, List<Integer> tokenCounts) {
            this.texts = texts;
            this.tokenCounts = tokenCounts;
        }
    }

    /**
     * @param adapterDir null for the base model alone
     * @param raw plain-text prompts (no chat template)
     */
    static Generated generate(RunConfig c, String modelDir, String adapterDir, List<String> prompts, boolean raw,
            PrintStream out) throws Exception {
        throw new UnavailableException("generation has not landed yet");
    }
}
