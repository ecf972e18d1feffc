package dev.finetune.pipeline.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.shards.Manifest;
import dev.finetune.shards.ShardFormatException;
import dev.finetune.shards.ShardSet;
import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A prepare process killed while writing shards leaves nothing that looks complete; a rerun completes. */
class PrepareAtomicityTest {
    @TempDir
    Path tmp;

    private static boolean shardWritten(Path parent) throws IOException {
        try (Stream<Path> s = Files.walk(parent)) {
            return s.anyMatch(
                    p -> p.toString().contains("._tmp-") && p.toString().endsWith(".bin"));
        }
    }

    @Test
    void aJobKilledMidWriteLeavesNothingCompleteAndARerunMatchesAnUninterruptedRun() throws Exception {
        List<String> docs = FixtureDocuments.mixed(60);
        Path in = tmp.resolve("in");
        FixtureDocuments.writeJsonl(in, docs, 2);
        Path out = tmp.resolve("out");
        String[] args = {
            "--source",
            in.toString(),
            "--output",
            out.toString(),
            "--tokenizer",
            "unused",
            "--max-seq-length",
            "4096",
            "--no-packing",
            "--window-documents",
            "2",
            "--master",
            "local[1]"
        };

        List<String> cmd = new ArrayList<>();
        cmd.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-opens")
                    || a.startsWith("-XX:+Ignore")
                    || a.startsWith("-Djdk.reflect")
                    || a.startsWith("-Dai.djl")) {
                cmd.add(a);
            }
        }
        cmd.add("-Xmx1g");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(KillableChild.class.getName());
        for (String a : args) {
            cmd.add(a);
        }
        Process child = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(tmp.resolve("child.log").toFile())
                .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!shardWritten(tmp) && child.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(2);
        }
        assertTrue(
                child.isAlive(),
                "the child finished before it could be killed mid-write:\n"
                        + new String(Files.readAllBytes(tmp.resolve("child.log")), "UTF-8"));
        child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);

        assertFalse(Files.exists(out.resolve("_SUCCESS")), "a killed job must not leave _SUCCESS");
        if (Files.exists(out)) {
            assertThrows(
                    ShardFormatException.class,
                    () -> ShardSet.open(new org.apache.hadoop.fs.Path(out.toString()), new Configuration()));
        }

        SparkSession spark = SparkTestSession.start("local[2]");
        try {
            PrepareOptions o = PrepareArgs.parse(args);
            o.master = null;
            Manifest rerun = new PrepareJob(spark, o, new CodePointEncoderFactory("text", 0), "rerun").run();
            o.output = tmp.resolve("fresh").toString();
            Manifest fresh = new PrepareJob(spark, o, new CodePointEncoderFactory("text", 0), "fresh").run();
            assertEquals(PrepareDeterminismTest.hashes(fresh), PrepareDeterminismTest.hashes(rerun));
            try (ShardSet set = ShardSet.open(new org.apache.hadoop.fs.Path(out.toString()), new Configuration())) {
                set.verifyChecksums();
                assertEquals(docs.size(), set.manifest().splits.get("train").documents);
            }
        } finally {
            spark.stop();
        }
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(
                    0,
                    s.filter(p -> p.getFileName().toString().contains("._tmp-")).count(),
                    "the rerun removed the killed job's temporary directory");
        }
    }

    @Test
    void prepareIntoAFolderItDidNotWriteIsRefusedAndEveryByteStays() throws Exception {
        Path in = tmp.resolve("in");
        FixtureDocuments.writeJsonl(in, FixtureDocuments.mixed(6), 1);
        Path userFolder = Files.createDirectories(tmp.resolve("mine"));
        Files.write(userFolder.resolve("notes.txt"), "mine".getBytes("UTF-8"));
        Path adapter = Files.createDirectories(tmp.resolve("run/final"));
        Files.write(adapter.resolve("adapter_config.json"), "{}".getBytes("UTF-8"));
        Files.write(adapter.resolve("adapter_model.safetensors"), new byte[] {1, 2, 3});
        SparkSession spark = SparkTestSession.start("local[1]");
        try {
            for (Path target : new Path[] {userFolder, adapter, tmp.resolve("run")}) {
                for (boolean overwrite : new boolean[] {false, true}) {
                    String before = listing(tmp);
                    PrepareOptions o = PrepareArgs.parse(new String[] {
                        "--source",
                        in.toString(),
                        "--output",
                        target.toString(),
                        "--tokenizer",
                        "unused",
                        "--max-seq-length",
                        "64",
                        "--master",
                        "local[1]"
                    });
                    o.master = null;
                    o.overwrite = overwrite;
                    IllegalArgumentException e = assertThrows(
                            IllegalArgumentException.class,
                            () -> new PrepareJob(spark, o, new CodePointEncoderFactory("text", 0), "t").run());
                    assertTrue(e.getMessage().contains(target.toString()), e.getMessage());
                    assertEquals(before, listing(tmp), "prepare into " + target + " changed files");
                }
            }
        } finally {
            spark.stop();
        }
    }

    /** Every path under {@code root} with its bytes, one per line. */
    private static String listing(Path root) throws IOException {
        StringBuilder sb = new StringBuilder();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s.sorted()::iterator) {
                sb.append(root.relativize(p))
                        .append(' ')
                        .append(Files.isRegularFile(p) ? java.util.Arrays.toString(Files.readAllBytes(p)) : "dir")
                        .append('\n');
            }
        }
        return sb.toString();
    }
}
