package dev.finetune.app.cli;

import ai.djl.Device;
import dev.finetune.config.ConfigException;
import dev.finetune.config.RunConfig;
import dev.finetune.config.Section;
import dev.finetune.trainer.device.DeviceChoice;
import dev.finetune.trainer.generate.ConsoleStreamer;
import dev.finetune.trainer.generate.Generation;
import dev.finetune.trainer.generate.GenerationModel;
import dev.finetune.trainer.generate.GenerationOptions;
import dev.finetune.trainer.generate.TokenListener;
import dev.finetune.trainer.model.AttentionKernel;
import dev.finetune.trainer.model.LoadOptions;
import dev.finetune.trainer.nf4.Nf4WeightFactory;
import java.io.BufferedReader;
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

/**
 * The notebook's inference cells: prompts (generate) or an interactive conversation (chat), through one
 * {@link GenerationModel} loaded once; run and the demo call {@link #generate} the same way.
 */
final class GenerateSubcommand extends Subcommand {
    private final boolean chat;

    GenerateSubcommand(boolean chat) {
        super(
                chat ? "chat" : "generate",
                chat
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
                Flag.value(
                        "adapter",
                        "DIR",
                        "LoRA adapter folder (peft layout); 'none' for the base model alone.",
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
            ChatSession.run(
                    c,
                    model,
                    adapter,
                    new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)),
                    out);
            return Main.OK;
        }
        List<String> prompts = line.getAll("prompt");
        List<long[]> ids = new ArrayList<>();
        for (String v : line.getAll("prompt-ids")) {
            ids.add(parseIds(v));
        }
        if (prompts.isEmpty() && ids.isEmpty()) {
            prompts = c.prompts;
        }
        if (prompts.isEmpty() && ids.isEmpty()) {
            throw new UsageException("give --prompt TEXT (or --prompt-ids, or prompts in the config)");
        }
        if (!prompts.isEmpty() && !ids.isEmpty()) {
            throw new UsageException("give --prompt or --prompt-ids (not both)");
        }
        GenerationOptions options = GenerationOptions.of(c.generation());
        try (GenerationModel m = load(c, model, adapter, out)) {
            if (ids.isEmpty()) {
                for (String p : prompts) {
                    ids.add(m.promptIds(p, line.isOn("raw")));
                }
            }
            TokenListener listener =
                    ids.size() == 1 && m.decoder() != null ? new ConsoleStreamer(m.decoder(), out) : TokenListener.NONE;
            List<Generation> results = m.generate(ids, options, listener);
            for (int i = 0; i < results.size(); i++) {
                Generation g = results.get(i);
                if (results.size() > 1 && g.text != null) {
                    out.println("[" + i + "] " + g.text);
                }
                if (line.isOn("print-ids") || g.text == null) {
                    out.println((results.size() > 1 ? "[" + i + "] " : "") + "ids: " + g.idsString());
                }
            }
        }
        return Main.OK;
    }

    private static long[] parseIds(String v) {
        try {
            return Arrays.stream(v.split(","))
                    .map(String::trim)
                    .mapToLong(Long::parseLong)
                    .toArray();
        } catch (NumberFormatException e) {
            throw new UsageException("--prompt-ids " + v + ": expected comma-separated integers like 1,2,3");
        }
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
        Path fin = Paths.get(c.layout().finalDir());
        return Files.isRegularFile(fin.resolve("adapter_config.json")) ? fin : null;
    }

    /**
     * The base model (+ adapter, null for none) and its tokenizer, loaded once on the configured device as training
     * loads them (use_4bit, double_quant, compute_dtype, attn_implementation). A device other than the CPU is
     * announced on {@code out}.
     */
    static GenerationModel load(RunConfig c, Path model, Path adapter, PrintStream out) throws Exception {
        String device = DeviceChoice.named(c.device);
        DeviceChoice choice = DeviceChoice.resolve(device);
        if (!device.equals("cpu")) {
            out.println(choice.describe());
        }
        return GenerationModel.load(model, adapter, loadOptions(c, choice.device));
    }

    /** How generate, chat, run and the demo load the base: as training does. */
    static LoadOptions loadOptions(RunConfig c, Device device) {
        try {
            return new LoadOptions(
                            device,
                            GenerationModel.computeType(c.computeDtype),
                            Nf4WeightFactory.forBase(c.use4bit, c.doubleQuant))
                    .withAttention(AttentionKernel.parse(c.attnImplementation));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage(), e);
        }
    }

    /**
     * Generates for each prompt in turn with one loaded model, as run and the demo show it: "prompt: ...", the text
     * streamed as it grows, then its ids.
     *
     * @param adapterDir null for the base model alone
     * @param raw plain-text prompts (no chat template)
     */
    static List<Generation> generate(
            RunConfig c, Path modelDir, Path adapterDir, List<String> prompts, boolean raw, PrintStream out)
            throws Exception {
        GenerationOptions options = GenerationOptions.of(c.generation());
        List<Generation> results = new ArrayList<>();
        try (GenerationModel m = load(c, modelDir, adapterDir, out)) {
            for (String prompt : prompts) {
                out.println("prompt: " + prompt);
                TokenListener listener =
                        m.decoder() != null ? new ConsoleStreamer(m.decoder(), out) : TokenListener.NONE;
                Generation g = m.generate(Collections.singletonList(m.promptIds(prompt, raw)), options, listener)
                        .get(0);
                out.println("ids: " + g.idsString());
                results.add(g);
            }
        }
        return results;
    }
}
