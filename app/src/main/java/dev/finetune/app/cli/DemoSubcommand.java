package dev.finetune.app.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.finetune.app.demo.DemoData;
import dev.finetune.app.demo.TinyQwen3;
import dev.finetune.config.ConfigException;
import dev.finetune.config.ConfigLoader;
import dev.finetune.config.RunConfig;
import dev.finetune.config.Section;
import dev.finetune.shards.Manifest;
import dev.finetune.storage.RunLayout;
import dev.finetune.trainer.generate.Generation;
import dev.finetune.trainer.train.Trainer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** The offline end-to-end demo on a tiny random Qwen3-shaped model. */
final class DemoSubcommand extends Subcommand {
    private static final int STEPS = 5;

    DemoSubcommand() {
        super("demo", "Offline end-to-end demo: prepare -> train -> save -> generate with a tiny model on CPU");
    }

    @Override
    String description() {
        return "Writes a deterministic random-initialised tiny Qwen3-shaped model (the real Qwen3 tokenizer, "
                + "hidden size 64) and a dataset from the bundled excerpt of 吾輩は猫である, then runs the same "
                + "prepare, train and generate code as real runs, on CPU without network, in a few minutes. It "
                + "ends with where the adapter is, the loss before and after training and a sample generation, "
                + "also written to <base_save_dir>/<project_name>/demo-summary.json. Settings come from "
                + "conf/demo.yaml (or --config); any key can be overridden. Rerun with the same settings, it resumes "
                + "from its last checkpoint; with other settings (e.g. --max-steps 20 after a 60-step demo) it starts "
                + "over in its folder, which is its own scratch space. It refuses a folder holding files it does not "
                + "write unless --overwrite is given.\n\n"
                + "  jobs/finetune demo\n"
                + "  jobs/finetune demo --max-steps 20 --base-save-dir /tmp/demo";
    }

    @Override
    List<Flag> flags() {
        return flags(
                Flag.value(
                        "assets", "DIR", "Folder with the demo's tokenizer/ and text/.", "app/src/demo in the project"),
                Flag.toggle("overwrite", "Write into an output folder that holds files the demo does not write."));
    }

    @Override
    Set<Section> sections() {
        return EnumSet.of(Section.PROJECT, Section.DATA, Section.LORA, Section.TRAINING, Section.GENERATION);
    }

    static Path home() {
        String h = System.getProperty("finetune.home", System.getProperty("project.root", "."));
        return Paths.get(h).toAbsolutePath().normalize();
    }

    private static String configFile(CommandLine line) {
        return line.configFile() != null
                ? line.configFile()
                : home().resolve("conf/demo.yaml").toString();
    }

    @Override
    java.nio.file.Path logFile(CommandLine line) {
        return LogFile.forOutputs(
                ConfigLoader.loadFrom(configFile(line), line.overrides()).layout(), name);
    }

    @Override
    int run(CommandLine line, PrintStream out) throws Exception {
        long start = System.nanoTime();
        String configFile = configFile(line);
        RunConfig c = ConfigLoader.loadFrom(configFile, line.overrides());
        Path assets =
                Paths.get(line.get("assets", home().resolve("app/src/demo").toString()));
        Path output = Paths.get(c.outputDir()).toAbsolutePath().normalize();
        c.baseSaveDir = output.getParent().toString();
        RunLayout layout = c.layout();
        if (!line.isOn("overwrite")) {
            requireDemoFolder(output);
        }
        out.println("demo: outputs in " + output + " (settings: " + configFile + ")");

        step(out, 1, "writing a random-initialised tiny Qwen3-shaped model");
        Path model = output.resolve("base-model");
        TinyQwen3.write(model, c.seed);
        for (String f : new String[] {"tokenizer.json", "tokenizer_config.json"}) {
            Files.copy(assets.resolve("tokenizer").resolve(f), model.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        out.printf(
                "  %s: %,d parameters (vocabulary %,d, hidden %d, %d layers)%n",
                model, TinyQwen3.parameters(), TinyQwen3.VOCAB, TinyQwen3.HIDDEN, TinyQwen3.LAYERS);

        step(out, 2, "making the dataset from the bundled text");
        Path jsonl = output.resolve("dataset/wagahai.jsonl");
        int documents = DemoData.writeJsonl(assets.resolve("text/ja_wagahai_ch1.txt"), jsonl);
        out.printf("  %s: %d documents%n", jsonl, documents);
        c.baseModelId = model.toString();
        c.datasetId = jsonl.toString();
        c.validate();

        step(out, 3, "prepare: tokenize and pack with Spark (local mode)");
        Manifest manifest = PrepareSubcommand.prepare(c, true, "demo");

        step(out, 4, "train: LoRA on CPU");
        Trainer.Result trained;
        try {
            trained = TrainSubcommand.train(c, out);
        } catch (Trainer.OtherRunException e) {
            // the demo's folder is its own scratch space: a demo with other settings starts over in it
            out.println("demo: the checkpoints in " + layout.checkpointsDir() + " are of a demo with other "
                    + "settings (" + String.join(", ", e.differences()) + "); starting this one fresh");
            deleteTree(Paths.get(layout.checkpointsDir()));
            trained = TrainSubcommand.train(c, out);
        }

        step(out, 5, "generate: reload base model + adapter, continue the prompt");
        List<String> prompts = c.prompts.isEmpty() ? java.util.Collections.singletonList("吾輩は") : c.prompts;
        String adapterDir = TrainSubcommand.local(trained.finalDir);
        Generation gen = GenerateSubcommand.generate(c, model, Paths.get(adapterDir), prompts, true, out)
                .get(0);

        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("adapter_dir", adapterDir);
        summary.put("adapter_files", list(Paths.get(adapterDir)));
        summary.put("train_rows", manifest.splits.get("train").rows);
        int last = trained.loggedLosses.size() - 1;
        summary.put("first_logged_step", last < 0 ? null : trained.loggedSteps.get(0));
        summary.put("loss_first_logged", last < 0 ? null : trained.loggedLosses.get(0));
        summary.put("last_logged_step", last < 0 ? null : trained.loggedSteps.get(last));
        summary.put("loss_last_logged", last < 0 ? null : trained.loggedLosses.get(last));
        summary.put("eval_loss", trained.lastEvalLoss);
        summary.put("adapter_reloaded", true);
        summary.put("prompt", prompts.get(0));
        summary.put("generated_text", gen.text);
        summary.put("generated_tokens", gen.ids.length);
        summary.put("seconds", (System.nanoTime() - start) / 1e9);
        List<String> next = nextCommands(configFile, output, model, adapterDir, prompts.get(0), c.maxNewTokens);
        summary.put("next_commands", next);
        Path summaryFile = output.resolve("demo-summary.json");
        Files.write(
                summaryFile,
                new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(summary));

        out.println();
        out.println("demo: done in " + String.format("%.0f s", (System.nanoTime() - start) / 1e9));
        out.println("  adapter:      " + adapterDir + "  " + summary.get("adapter_files"));
        out.printf(
                "  loss:         %.4f at step %s -> %.4f at step %s%s%n",
                summary.get("loss_first_logged"),
                summary.get("first_logged_step"),
                summary.get("loss_last_logged"),
                summary.get("last_logged_step"),
                trained.lastEvalLoss == null ? "" : String.format(" (validation %.4f)", trained.lastEvalLoss));
        out.println("  prompt:       " + prompts.get(0));
        out.println("  generated:    " + gen.text);
        out.println("  summary:      " + summaryFile);
        out.println("  logs:         " + layout.logsDir() + " (metrics jsonl, loss_curve.png, TensorBoard events)");
        out.println();
        out.println("next, on these outputs:");
        out.println("  shards:    " + next.get(0));
        out.println("  generate:  " + next.get(1));
        out.println("  merge:     " + next.get(2));
        return Main.OK;
    }

    /** What the demo writes into its output folder (besides its own logs). */
    static final List<String> DEMO_ENTRIES = java.util.Arrays.asList(
            "base-model",
            "dataset",
            RunLayout.DATA,
            RunLayout.DATA + "._staging",
            RunLayout.CHECKPOINTS,
            RunLayout.LOGS,
            RunLayout.FINAL,
            RunLayout.MERGED,
            "demo-summary.json");

    /**
     * The demo writes into {@code output} only when it is missing, empty or holds nothing but what a demo writes
     * (and the temporary siblings of those): it never mixes into, or replaces, a folder of the user's.
     */
    static void requireDemoFolder(Path output) throws IOException {
        if (!Files.exists(output)) {
            return;
        }
        if (!Files.isDirectory(output)) {
            throw new ConfigException(output + " is a file, not the demo's output folder; choose another "
                    + "--base-save-dir or --project-name");
        }
        List<String> foreign = new ArrayList<>();
        try (Stream<Path> s = Files.list(output)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String name = p.getFileName().toString();
                boolean temp = name.startsWith(".tmp-")
                        || name.startsWith(".old-")
                        || name.contains("._tmp-")
                        || name.contains("._old-");
                if (!DEMO_ENTRIES.contains(name) && !temp) {
                    foreign.add(name);
                }
            }
        }
        if (!foreign.isEmpty()) {
            java.util.Collections.sort(foreign);
            throw new ConfigException(output + " holds files the demo does not write ("
                    + String.join(", ", foreign.size() <= 4 ? foreign : foreign.subList(0, 4))
                    + (foreign.size() > 4 ? ", ..." : "")
                    + "); choose another --base-save-dir or --project-name, or pass --overwrite to write into it");
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk.sorted(java.util.Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }

    /** inspect, generate and merge on the demo's own outputs, as command lines to copy. */
    static List<String> nextCommands(
            String configFile, Path output, Path model, String adapter, String prompt, int maxNewTokens) {
        List<String> c = new ArrayList<>();
        c.add("jobs/finetune inspect --config " + configFile + " --base-save-dir " + output.getParent()
                + " --base-model-id " + model + " --rows 2");
        // as step 5 ran it: the prompt as plain text (the demo trains on plain text, not conversations)
        c.add("jobs/finetune generate --model " + model + " --adapter " + adapter + " --raw --greedy --max-new-tokens "
                + maxNewTokens + " --prompt " + prompt);
        c.add("jobs/finetune merge --model " + model + " --adapter " + adapter + " --output "
                + output.resolve(RunLayout.MERGED));
        return c;
    }

    private static void step(PrintStream out, int i, String what) {
        out.println();
        out.println("[" + i + "/" + STEPS + "] " + what);
    }

    private static List<String> list(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return new ArrayList<>();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }
}
