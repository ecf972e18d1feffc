package dev.finetune.trainer.cli;

import dev.finetune.config.RunConfig;
import dev.finetune.config.Section;
import dev.finetune.trainer.generate.GenerateCommand;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
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
        RunConfig c = line.config();
        if (line.has("model")) {
            c.baseModelId = line.get("model");
        }
        if (line.isOn("greedy")) {
            c.temperature = 0;
        }
        c.require(name, "base_model_id");
        Path model = ModelFiles.modelDir(c);
        Path adapter = adapter(line, c);
        if (chat) {
            ChatSession.run(c, model, adapter, new BufferedReader(new InputStreamReader(System.in,
                    StandardCharsets.UTF_8)), out);
            return Main.OK;
        }
        List<String> prompts = line.getAll("prompt");
        List<String> ids = line.getAll("prompt-ids");
        if (prompts.isEmpty() && ids.isEmpty()) {
            prompts = c.prompts;
        }
        if (prompts.isEmpty() && ids.isEmpty()) {
            throw new UsageException("give --prompt TEXT (or --prompt-ids, or prompts in the config)");
        }
        List<String> args = generateArgs(c, model.toString(), adapter == null ? null : adapter.toString(),
                prompts, ids, line.isOn("raw"), line.isOn("print-ids"), false);
        return GenerateCommand.run(args.toArray(new String[0]), out) == 0 ? Main.OK : Main.USAGE;
    }

    /** --adapter DIR, --adapter none, or the run's final/ when it holds an adapter. */
    private static Path adapter(CommandLine line, RunConfig c) {
        String a = line.get("adapter");
        if ("none".equals(a)) {
            return null;
        }
        if (a != null) {
            return Paths.get(a);
        }
        Path fin = Paths.get(c.adapterDir());
        return Files.isRegularFile(fin.resolve("adapter_config.json")) ? fin : null;
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
        List<String> texts = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        for (String prompt : prompts) {
            out.println("prompt: " + prompt);
            ByteArrayOutputStream captured = new ByteArrayOutputStream();
            PrintStream tee = new PrintStream(new TeeStream(out, captured), true, "UTF-8");
            List<String> args = generateArgs(c, modelDir, adapterDir,
                    Collections.singletonList(prompt), Collections.<String>emptyList(), raw, true, false);
            if (GenerateCommand.run(args.toArray(new String[0]), tee) != 0) {
                throw new IllegalStateException("generate failed: " + captured.toString("UTF-8"));
            }
            // GenerateCommand streams the text, ends it with a newline, then prints "ids: i,j,..." (--print-ids)
            String text = captured.toString("UTF-8");
            int at = text.lastIndexOf("ids: ");
            String idsLine = text.substring(at + 5).trim();
            texts.add(text.substring(0, at).replaceAll("\\R$", ""));
            counts.add(idsLine.isEmpty() ? 0 : idsLine.split(",").length);
        }
        return new Generated(texts, counts);
    }

    /** Writes to the console and to a buffer. */
    private static final class TeeStream extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        TeeStream(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int x) throws IOException {
            a.write(x);
            b.write(x);
        }

        @Override
        public void write(byte[] buf, int off, int len) throws IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }

        @Override
        public void flush() throws IOException {
            a.flush();
        }
    }

    /**
     * The generate command's flags for the configured sampling settings.
     *
     * @param adapterDir null for the base model alone
     * @param promptIds token-id prompts ("1,2,3"); used instead of {@code prompts} when not empty
     */
    static List<String> generateArgs(RunConfig c, String modelDir, String adapterDir, List<String> prompts,
            List<String> promptIds, boolean raw, boolean printIds, boolean greedy) {
        List<String> a = new ArrayList<>(Arrays.asList("--model", modelDir,
                "--adapter", adapterDir != null ? adapterDir : "none",
                "--max-new-tokens", String.valueOf(c.maxNewTokens),
                "--temperature", String.valueOf(c.temperature),
                "--top-p", String.valueOf(c.topP),
                "--top-k", String.valueOf(c.topK),
                "--seed", String.valueOf(c.seed),
                "--device", dev.finetune.trainer.device.DeviceChoice.named(c.device),
                "--compute-dtype", c.computeDtype));
        if (promptIds.isEmpty()) {
            for (String p : prompts) {
                a.add("--prompt");
                a.add(p);
            }
        } else {
            for (String p : promptIds) {
                a.add("--prompt-ids");
                a.add(p);
            }
        }
        if (raw) {
            a.add("--raw");
        }
        if (printIds) {
            a.add("--print-ids");
        }
        if (greedy || c.temperature == 0) {
            a.add("--greedy");
        }
        if (c.use4bit) { // generate on the base training used, as the notebook does
            a.add("--use-4bit");
            if (!c.doubleQuant) {
                a.add("--no-double-quant");
            }
        }
        return a;
    }
}
