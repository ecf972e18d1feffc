package dev.finetune.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.app.demo.TinyQwen3;
import dev.finetune.config.ConfigLoader;
import dev.finetune.config.RunConfig;
import dev.finetune.trainer.generate.Generation;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The generate step as run and the demo call it (one {@code GenerationModel} for all prompts) against the CLI's
 * {@code generate}, one process call per prompt: the same ids and the same console lines, on the demo's tiny
 * Qwen3-shaped model with the real Qwen3 tokenizer.
 */
class GenerateStepTest {
    @TempDir
    Path tmp;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private String cli(String... args) {
        out.reset();
        err.reset();
        int code = Main.run(args, new PrintStream(out, true), new PrintStream(err, true), false, Main.commands());
        String stdout = new String(out.toByteArray(), StandardCharsets.UTF_8);
        assertEquals(Main.OK, code, stdout + new String(err.toByteArray(), StandardCharsets.UTF_8));
        return stdout;
    }

    private Path model() throws Exception {
        Path model = tmp.resolve("model");
        TinyQwen3.write(model, 3);
        Path tokenizer = Paths.get(System.getProperty("fixtures.tokenizer.dir"));
        for (String f : new String[] {"tokenizer.json", "tokenizer_config.json"}) {
            Files.copy(tokenizer.resolve(f), model.resolve(f));
        }
        return model;
    }

    @Test
    void runsPromptsOnOneLoadedModelGiveTheIdsAndLinesOfOneGenerateCallEach() throws Exception {
        Path model = model();
        Path yaml = tmp.resolve("gen.yaml");
        Files.write(
                yaml,
                ("project_name: g\nbase_save_dir: " + tmp.resolve("runs") + "\nbase_model_id: " + model
                                + "\ntemperature: 0\nmax_new_tokens: 6\ndevice: cpu\nuse_4bit: false\n")
                        .getBytes(StandardCharsets.UTF_8));
        List<String> prompts = Arrays.asList("吾輩は", "猫である。名前はまだ無い。", "Hello");

        StringBuilder separateConsole = new StringBuilder();
        List<String> separateIds = new ArrayList<>();
        for (String p : prompts) {
            String printed = cli(
                    "generate",
                    "--config",
                    yaml.toString(),
                    "--adapter",
                    "none",
                    "--raw",
                    "--print-ids",
                    "--prompt",
                    p);
            separateConsole
                    .append("prompt: ")
                    .append(p)
                    .append(System.lineSeparator())
                    .append(printed);
            String idsLine = printed.substring(printed.lastIndexOf("ids: ") + 5).trim();
            separateIds.add(idsLine);
        }

        RunConfig c = ConfigLoader.loadFrom(yaml.toString(), Collections.<String, String>emptyMap());
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        List<Generation> gens =
                GenerateSubcommand.generate(c, model, null, prompts, true, new PrintStream(console, true, "UTF-8"));
        List<String> stepIds = new ArrayList<>();
        for (Generation g : gens) {
            stepIds.add(g.idsString());
            assertEquals(6, g.ids.length, "no EOS within 6 tokens of this model: " + g.idsString());
        }
        assertEquals(separateIds, stepIds, "one loaded model gives each separate call's ids");
        assertEquals(
                separateConsole.toString(),
                new String(console.toByteArray(), StandardCharsets.UTF_8),
                "and prints what separate calls print: prompt, streamed text, ids");

        // the CLI with all prompts at once: one batch, "[i] text" and "[i] ids: ..." lines with the same ids
        List<String> args = new ArrayList<>(
                Arrays.asList("generate", "--config", yaml.toString(), "--adapter", "none", "--raw", "--print-ids"));
        for (String p : prompts) {
            args.add("--prompt");
            args.add(p);
        }
        List<String> lines = Arrays.asList(cli(args.toArray(new String[0])).split("\\R"));
        for (int i = 0; i < prompts.size(); i++) {
            assertTrue(lines.contains("[" + i + "] ids: " + separateIds.get(i)), lines.toString());
            assertTrue(lines.contains("[" + i + "] " + gens.get(i).text), lines.toString());
        }
    }

    @Test
    void chatsFirstAnswerIsWhatGenerateAnswersToTheSamePrompt() throws Exception {
        Path model = model();
        Path yaml = tmp.resolve("chat.yaml");
        Files.write(
                yaml,
                ("project_name: c\nbase_save_dir: " + tmp.resolve("runs") + "\nbase_model_id: " + model
                                + "\ntemperature: 0\nmax_new_tokens: 5\ndevice: cpu\nuse_4bit: false\n")
                        .getBytes(StandardCharsets.UTF_8));
        String prompt = "吾輩は猫である。";
        String generated = cli("generate", "--config", yaml.toString(), "--adapter", "none", "--prompt", prompt);
        RunConfig c = ConfigLoader.loadFrom(yaml.toString(), Collections.<String, String>emptyMap());
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        ChatSession.run(
                c,
                model,
                null,
                new java.io.BufferedReader(new java.io.StringReader(prompt + "\n\n")),
                new PrintStream(console, true, "UTF-8"));
        String chat = new String(console.toByteArray(), StandardCharsets.UTF_8);
        int at = chat.indexOf("model> ");
        assertTrue(at >= 0, chat);
        String answer = chat.substring(at + "model> ".length(), chat.indexOf("you> ", at));
        assertEquals(generated, answer, "one user message through the chat template, greedy, in both");
        assertFalse(answer.trim().isEmpty(), chat);
    }

    @Test
    void promptIdsThatAreNotIntegersAreOneUsageLine() throws Exception {
        Path model = model();
        out.reset();
        err.reset();
        int code = Main.run(
                new String[] {
                    "generate",
                    "--model",
                    model.toString(),
                    "--adapter",
                    "none",
                    "--prompt-ids",
                    "1,x",
                    "--device",
                    "cpu"
                },
                new PrintStream(out, true),
                new PrintStream(err, true),
                false,
                Main.commands());
        String e = new String(err.toByteArray(), StandardCharsets.UTF_8);
        assertEquals(Main.USAGE, code, e);
        assertTrue(e.startsWith("error: generate: --prompt-ids 1,x: expected comma-separated integers"), e);
        assertFalse(e.trim().contains("\n"), e);
    }
}
