package dev.finetune.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The command lines the demo prints at its end are ones the CLI accepts, on the demo's own outputs. */
class DemoNextCommandsTest {
    @Test
    void theDemosNextCommandsParseAndPointAtItsOutputs() {
        Path output = Paths.get("/runs/demo-output/demo");
        String conf = Paths.get(System.getProperty("project.root", ".."))
                .resolve("conf/demo.yaml")
                .toString();
        List<String> next = DemoSubcommand.nextCommands(
                conf,
                output,
                output.resolve("base-model"),
                output.resolve("final").toString(),
                "吾輩は",
                32);
        assertEquals(3, next.size());
        String[] names = {"inspect", "generate", "merge"};
        for (int i = 0; i < 3; i++) {
            String[] words = next.get(i).split(" ");
            assertEquals("jobs/finetune", words[0]);
            assertEquals(names[i], words[1]);
            Subcommand command = Main.commands().get(words[1]);
            CommandLine line = CommandLine.parse(command, Arrays.copyOfRange(words, 2, words.length));
            if (command.takesConfig()) {
                assertEquals(
                        output.resolve("base-model").toString(),
                        line.config().baseModelId == null ? line.get("model") : line.config().baseModelId);
            }
        }
        CommandLine inspect = CommandLine.parse(
                Main.commands().get("inspect"),
                Arrays.copyOfRange(next.get(0).split(" "), 2, next.get(0).split(" ").length));
        assertEquals(output.resolve("data").toString(), inspect.config().resolvedShardsDir());
        assertTrue(next.get(1).contains("--adapter " + output.resolve("final")), next.get(1));
        assertTrue(next.get(2).contains("--output " + output.resolve("merged")), next.get(2));
    }
}
