package dev.finetune.app.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.trainer.model.Goldens;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The thin jar (app-<version>-spark.jar) with nothing but Spark's own jars beside it, as spark-submit runs it
 * on a cluster whose Spark has no snakeyaml: it reads a YAML configuration; and with a local libtorch named by
 * PYTORCH_LIBRARY_PATH (no libtorch jar anywhere) it trains, because the CLI sets the flavor DJL's JNI jar has.
 */
class ThinJarTest {

    private static final class Run {
        final int exitCode;
        final String output;

        Run(int exitCode, String output) {
            this.exitCode = exitCode;
            this.output = output;
        }
    }

    private static Run cli(Path dir, Map<String, String> env, String... args) throws Exception {
        Path root =
                Paths.get(System.getProperty("project.root")).toAbsolutePath().normalize();
        List<String> cp = new ArrayList<>();
        cp.add(StandaloneSpark.thinJar(root).toString());
        for (Path p : StandaloneSpark.sparkJars(root)) {
            cp.add(p.toString());
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(StandaloneSpark.opens());
        cmd.addAll(Arrays.asList(
                "-Xmx512m",
                "-Dai.djl.offline=true",
                "-cp",
                String.join(File.pathSeparator, cp),
                "dev.finetune.app.cli.Main"));
        cmd.addAll(Arrays.asList(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).directory(dir.toFile());
        pb.environment().put("DJL_CACHE_DIR", dir.resolve("djl").toString());
        pb.environment().put("OPT_OUT_TRACKING", "true");
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS));
        return new Run(p.exitValue(), out);
    }

    @Test
    void theThinJarReadsAYamlConfigWithOnlySparksJarsBesideIt(@TempDir Path tmp) throws Exception {
        Path config = tmp.resolve("run.yaml");
        Files.write(
                config,
                "project_name: thin-jar-check\nlora_r: 12\nbase_model_id: org/model\n"
                        .getBytes(StandardCharsets.UTF_8));
        Run r = cli(tmp, Map.of(), "config", "--config", config.toString());
        assertEquals(0, r.exitCode, r.output);
        assertTrue(r.output.contains("thin-jar-check") && r.output.contains("12"), r.output);
    }

    @Test
    void aLibtorchNamedByPytorchLibraryPathTrainsWithTheFlavorTheCliSets(@TempDir Path tmp) throws Exception {
        Path lib = Files.createDirectories(tmp.resolve("libtorch"));
        for (Path f : StandaloneSpark.cpuLibtorchFiles()) {
            Files.createSymbolicLink(lib.resolve(f.getFileName()), f);
        }
        String shape =
                Goldens.fixturesModels().resolve("llama/base/config.json").toString();
        String[] bench = {
            "bench",
            "--shape",
            shape,
            "--seq",
            "16",
            "--steps",
            "1",
            "--warmup",
            "0",
            "--quant",
            "fp32",
            "--lora-r",
            "4",
            "--device",
            "cpu"
        };
        Run r = cli(tmp, Map.of("PYTORCH_LIBRARY_PATH", lib.toString()), bench);
        assertEquals(0, r.exitCode, r.output);
        assertTrue(r.output.contains("tokens_per_s"), r.output);
        // DJL's own default for a local libtorch, which the CLI replaces: its JNI jar has no such build
        Run precxx11 =
                cli(tmp, Map.of("PYTORCH_LIBRARY_PATH", lib.toString(), "PYTORCH_FLAVOR", "cpu-precxx11"), bench);
        assertNotEquals(0, precxx11.exitCode, precxx11.output);
        assertTrue(precxx11.output.contains("cpu-precxx11"), precxx11.output);
    }
}
