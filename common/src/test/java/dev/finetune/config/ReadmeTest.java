package dev.finetune.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** README.md documents the configuration as it is, and its two commands are the ones CI runs. */
class ReadmeTest {
    private static final Path ROOT = Paths.get(System.getProperty("project.root", ".."));

    private static String read(String file) throws IOException {
        return new String(Files.readAllBytes(ROOT.resolve(file)), StandardCharsets.UTF_8);
    }

    @Test
    void theConfigurationReferenceIsTheGeneratedOne() throws IOException {
        String readme = read("README.md");
        int a = readme.indexOf(ConfigReference.START);
        int b = readme.indexOf(ConfigReference.END);
        assertTrue(a >= 0 && b > a, "README.md lacks the config-reference markers");
        String documented =
                readme.substring(a + ConfigReference.START.length(), b).trim();
        assertEquals(
                ConfigReference.markdown().trim(),
                documented,
                "README.md's configuration reference is stale: regenerate it with `jobs/finetune config --reference`");
    }

    @Test
    void theFirstTwoCommandsAreTheDemoAndTheTestCommandThatCiRuns() throws IOException {
        String readme = read("README.md");
        int block = readme.indexOf("```bash\n");
        String[] lines =
                readme.substring(block + 8, readme.indexOf("```", block + 8)).split("\n");
        List<String> commands = new ArrayList<>();
        for (String l : lines) {
            commands.add(l.replaceAll("#.*", "").trim());
        }
        assertEquals("jobs/finetune demo", commands.get(0));
        String test = commands.get(1);
        List<String> ci = new ArrayList<>();
        for (String l : read(".ci/run").split("\n")) {
            ci.add(l.trim());
        }
        assertTrue(ci.contains(test), ".ci/run must run the README's test command: " + test);
        assertTrue(ci.contains("jobs/finetune demo"), ".ci/run must run the demo");
        assertTrue(ci.contains("set -euo pipefail"));
    }
}
