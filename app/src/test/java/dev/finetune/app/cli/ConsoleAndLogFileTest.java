package dev.finetune.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The console of a real command (a child JVM running the CLI's main, as jobs/finetune does, output not a
 * terminal) holds only the command's own lines; Spark's, Hadoop's and DJL's logging goes to the run's
 * logs/finetune.log, which the first line names.
 */
class ConsoleAndLogFileTest {
    @TempDir
    Path tmp;

    @Test
    void prepareShowsOnlyItsOwnLinesAndLogsSparkToTheRunsLogFile() throws Exception {
        Path model = Files.createDirectories(tmp.resolve("model"));
        Path tokenizer = Paths.get(System.getProperty("fixtures.tokenizer.dir"));
        for (String f : new String[] {"tokenizer.json", "tokenizer_config.json"}) {
            Files.copy(tokenizer.resolve(f), model.resolve(f));
        }
        StringBuilder jsonl = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            jsonl.append("{\"text\": \"document ").append(i).append(": the cat sat on the mat.\"}\n");
        }
        Path data = tmp.resolve("data.jsonl");
        Files.write(data, jsonl.toString().getBytes(StandardCharsets.UTF_8));

        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!a.startsWith("-agentlib:jdwp") && !a.startsWith("-javaagent") && !a.startsWith("-Xmx")) {
                cmd.add(a);
            }
        }
        cmd.add("-Xmx1g");
        for (String key : new String[] {"ai.djl.offline", "DJL_CACHE_DIR", "ENGINE_CACHE_DIR"}) {
            if (System.getProperty(key) != null) {
                cmd.add("-D" + key + "=" + System.getProperty(key));
            }
        }
        cmd.addAll(Arrays.asList(
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "prepare",
                "--base-model-id",
                model.toString(),
                "--dataset-id",
                data.toString(),
                "--base-save-dir",
                tmp.resolve("runs").toString(),
                "--project-name",
                "p",
                "--max-seq-length",
                "32",
                "--spark-master",
                "local[1]"));
        Path console = tmp.resolve("console.txt");
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(console.toFile())
                .start();
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "prepare did not finish in 300 s");
        String shown = new String(Files.readAllBytes(console), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), shown);

        Path log = tmp.resolve("runs").resolve("p").resolve("logs").resolve("finetune.log");
        assertTrue(shown.startsWith("prepare: Spark, DJL and Hadoop messages go to " + log + "\n"), shown);
        assertTrue(shown.contains("prepare: published"), shown);
        for (String line : shown.split("\n")) {
            assertTrue(line.startsWith("prepare: "), "a line that is not prepare's own: " + line);
        }
        assertFalse(shown.contains("\u001b["), "no terminal escapes off a terminal");
        String logged = new String(Files.readAllBytes(log), StandardCharsets.UTF_8);
        assertTrue(logged.contains("INFO SparkContext: Running Spark version"), logged);
    }
}
