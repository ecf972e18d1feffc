package dev.finetune.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.config.ConfigLoader;
import dev.finetune.config.RunConfig;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** generate loads the base the way training did (NF4 with or without double quantization, or dense). */
class GenerateArgsTest {

    @Test
    void generateLoadsTheBaseAsTrainingDoes() {
        RunConfig c = ConfigLoader.load(Paths.get(System.getProperty("project.root", "..")).resolve("conf/a100-40gb.yaml"),
                Collections.emptyMap());
        List<String> none = Collections.emptyList();
        c.use4bit = true;
        c.doubleQuant = true;
        List<String> a = GenerateSubcommand.generateArgs(c, "/m", null, Arrays.asList("hi"), none, false, false, false);
        assertTrue(a.contains("--use-4bit") && !a.contains("--no-double-quant"), a.toString());
        c.doubleQuant = false;
        a = GenerateSubcommand.generateArgs(c, "/m", null, Arrays.asList("hi"), none, false, false, false);
        assertTrue(a.contains("--use-4bit") && a.contains("--no-double-quant"), a.toString());
        c.use4bit = false;
        a = GenerateSubcommand.generateArgs(c, "/m", null, Arrays.asList("hi"), none, false, false, false);
        assertFalse(a.contains("--use-4bit") || a.contains("--no-double-quant"), a.toString());
    }
}
