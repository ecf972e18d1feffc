package dev.finetune.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.config.ConfigLoader;
import dev.finetune.config.ConfigSchema;
import dev.finetune.config.RunConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        out.reset();
        err.reset();
        return Main.run(args, new PrintStream(out, true), new PrintStream(err, true));
    }

    private String out() {
        return new String(out.toByteArray(), StandardCharsets.UTF_8);
    }

    private String err() {
        return new String(err.toByteArray(), StandardCharsets.UTF_8);
    }

    @Test
    void theSeedsSubcommandsAllExist() {
        for (String name : new String[] {
            "prepare", "inspect", "train", "generate", "chat", "merge", "push", "bench", "run", "demo", "config"
        }) {
            assertTrue(Main.commands().containsKey(name), name);
        }
    }

    @Test
    void everySubcommandsHelpExplainsEveryOptionItTakes() {
        for (Subcommand c : Main.commands().values()) {
            assertEquals(0, run(c.name, "--help"), c.name);
            String help = out();
            assertTrue(help.startsWith("Usage: jobs/finetune " + c.name), help);
            for (Flag f : c.flags()) {
                assertTrue(help.contains("--" + f.name), c.name + " help lacks --" + f.name);
                assertTrue(!f.help.isEmpty(), c.name + " --" + f.name + " has no help");
            }
            if (c.takesConfig()) {
                assertTrue(help.contains("--config FILE"), c.name);
                for (dev.finetune.config.Section s : c.sections()) {
                    for (ConfigSchema.Key k : ConfigSchema.get().keys(s)) {
                        assertTrue(help.contains("--" + k.flag + " "), c.name + " help lacks --" + k.flag);
                    }
                }
            }
        }
    }

    @Test
    void anUnknownSubcommandSuggestsTheClosestOne() {
        assertEquals(2, run("trian"));
        assertTrue(err().contains("unknown subcommand 'trian'; did you mean 'train'?"), err());
    }

    @Test
    void anUnknownFlagSuggestsTheClosestFlag() {
        assertEquals(2, run("config", "--lora-rank", "8"));
        assertTrue(err().contains("unknown option --lora-rank for config; did you mean '--lora-r'?"), err());
        assertTrue(err().contains("jobs/finetune config --help"), err());
        assertEquals(1, err().split("\n").length, "one line: " + err());
    }

    @Test
    void aBadValueIsAUsageErrorNamingTheFlag() {
        assertEquals(2, run("config", "--lora-r", "many"));
        assertTrue(err().contains("--lora-r takes an integer, got 'many'"), err());
    }

    @Test
    void configPrintsTheResolvedConfigurationWhichReadsBack(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("c.yaml");
        Files.write(file, "lora_r: 16\npacking: true\n".getBytes(StandardCharsets.UTF_8));
        assertEquals(
                0,
                run("config", "--config", file.toString(), "--lora-r=8", "--no-packing", "--base-save-dir", "/tmp/o"));
        String printed = out();
        assertTrue(printed.contains("# adapter:     /tmp/o/finetune-run/final"), printed);
        Path back = dir.resolve("back.yaml");
        Files.write(back, printed.getBytes(StandardCharsets.UTF_8));
        RunConfig c = ConfigLoader.load(back, Collections.emptyMap());
        assertEquals(8, c.loraR);
        assertEquals(false, c.packing);
    }

    @Test
    void aMissingRequiredKeyNamesItsFlag() {
        assertEquals(2, run("prepare", "--base-model-id", "Qwen/Qwen2-7B"));
        assertTrue(err().contains("prepare needs dataset_id (--dataset-id)"), err());
    }

    @Test
    void mergeWithoutABaseModelNamesTheFlagToGive() {
        assertEquals(2, run("merge"));
        assertTrue(err().contains("base_model_id (--base-model-id)"), err());
    }
}
