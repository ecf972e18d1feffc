package dev.finetune.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.trainer.model.Goldens;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code finetune merge} publishes a merged model from its flags and refuses a dtype it does not write. */
class MergeSubcommandTest {
    @TempDir
    Path tmp;

    static Path family(String name) {
        for (Path f : Goldens.families()) {
            if (f.getFileName().toString().equals(name)) {
                return f;
            }
        }
        throw new IllegalStateException("no reference family " + name + " in " + Goldens.families());
    }

    @Test
    void theCliMergesWithFlagsAndRefusesABadDtype() throws Exception {
        Path fam = family("qwen2");
        Path out = tmp.resolve("cli");
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = Main.run(
                new String[] {
                    "merge",
                    "--model",
                    fam.resolve("base").toString(),
                    "--adapter",
                    fam.resolve("adapter").toString(),
                    "--output",
                    out.toString(),
                    "--dtype",
                    "fp32",
                    "--max-shard-size",
                    "1GB"
                },
                new PrintStream(o, true),
                new PrintStream(err, true));
        assertEquals(0, rc, err.toString());
        assertTrue(Files.exists(out.resolve("_SUCCESS")));
        assertTrue(o.toString().contains("published"), o.toString());

        err.reset();
        rc = Main.run(
                new String[] {
                    "merge",
                    "--model",
                    fam.resolve("base").toString(),
                    "--adapter",
                    fam.resolve("adapter").toString(),
                    "--output",
                    tmp.resolve("cli2").toString(),
                    "--dtype",
                    "int8"
                },
                new PrintStream(o, true),
                new PrintStream(err, true));
        assertEquals(2, rc);
        assertTrue(err.toString().contains("--dtype = 'int8'; allowed bf16, fp16, fp32"), err.toString());
        assertFalse(Files.exists(tmp.resolve("cli2")));
    }

    /** Every file under {@code root} with its bytes' sha256 (folders as "name/"). */
    static Map<String, String> tree(Path root) throws Exception {
        Map<String, String> out = new java.util.TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String rel = root.relativize(p).toString();
                out.put(
                        Files.isDirectory(p) ? rel + "/" : rel,
                        Files.isDirectory(p)
                                ? ""
                                : dev.finetune.shards.Manifest.hex(java.security.MessageDigest.getInstance("SHA-256")
                                        .digest(Files.readAllBytes(p))));
            }
        }
        return out;
    }

    @Test
    void mergeIntoAFolderItDidNotWriteIsRefusedAndEveryByteThereStays() throws Exception {
        Path fam = family("qwen2");
        Path userFolder = Files.createDirectories(tmp.resolve("my-files"));
        Files.write(userFolder.resolve("notes.txt"), "mine".getBytes(StandardCharsets.UTF_8));
        Path run = Files.createDirectories(tmp.resolve("run"));
        Path finalDir = Files.createDirectories(run.resolve("final"));
        for (Path f : Files.list(fam.resolve("adapter")).collect(Collectors.toList())) {
            Files.copy(f, finalDir.resolve(f.getFileName()));
        }
        Files.write(finalDir.resolve("README.md"), "# model card".getBytes(StandardCharsets.UTF_8));
        Files.createDirectories(run.resolve("checkpoints/checkpoint-5"));
        Files.write(run.resolve("checkpoints/checkpoint-5/trainer_state.json"), "{}".getBytes(StandardCharsets.UTF_8));
        Files.createDirectories(run.resolve("data"));
        Files.write(run.resolve("data/manifest.json"), "{}".getBytes(StandardCharsets.UTF_8));
        Map<String, String> before = tree(tmp);
        for (Path output : new Path[] {userFolder, finalDir, run}) {
            ByteArrayOutputStream o = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int rc = Main.run(
                    new String[] {
                        "merge",
                        "--model",
                        fam.resolve("base").toString(),
                        "--adapter",
                        finalDir.toString(),
                        "--output",
                        output.toString(),
                        "--dtype",
                        "fp32"
                    },
                    new PrintStream(o, true),
                    new PrintStream(err, true));
            assertTrue(rc != 0, "merge into " + output + " must fail");
            String e = err.toString(StandardCharsets.UTF_8);
            assertTrue(e.contains(output.toString()) && e.contains("--overwrite"), e);
            assertEquals(before, tree(tmp), "merge --output " + output + " changed files");
        }
        int rc = Main.run(
                new String[] {
                    "merge",
                    "--model",
                    fam.resolve("base").toString(),
                    "--adapter",
                    finalDir.toString(),
                    "--output",
                    userFolder.toString(),
                    "--dtype",
                    "fp32",
                    "--overwrite"
                },
                new PrintStream(new ByteArrayOutputStream(), true),
                new PrintStream(new ByteArrayOutputStream(), true));
        assertEquals(0, rc, "--overwrite replaces the folder");
        assertFalse(Files.exists(userFolder.resolve("notes.txt")));
        assertTrue(Files.exists(userFolder.resolve("_SUCCESS")));
    }
}
