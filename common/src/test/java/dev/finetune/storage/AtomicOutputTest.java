package dev.finetune.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicOutputTest {
    @TempDir
    java.nio.file.Path tmp;

    private FileSystem fs;
    private Path target;

    @BeforeEach
    void setUp() throws Exception {
        target = Storage.path(tmp.resolve("out").toString());
        fs = Storage.fileSystem(target, Storage.configuration());
    }

    private void publish(String content, boolean overwrite) throws Exception {
        AtomicOutput out = AtomicOutput.begin(fs, target, overwrite);
        write(new Path(out.dir(), "part-0"), content);
        out.commit();
    }

    private void write(Path p, String content) throws Exception {
        try (FSDataOutputStream s = fs.create(p)) {
            s.write(content.getBytes(StandardCharsets.UTF_8));
        }
    }

    private String read(Path p) throws Exception {
        try (FSDataInputStream in = fs.open(p)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private List<String> siblings() throws Exception {
        try (Stream<java.nio.file.Path> s = Files.list(tmp)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    /** Runs AtomicWriterMain in a child JVM, waits until it is mid-write, then kills it. */
    private void killWriterMidway(boolean overwrite) throws Exception {
        String java = Stream.of(System.getProperty("java.home"), "bin", "java").collect(Collectors.joining("/"));
        Process p = new ProcessBuilder(
                        java,
                        "-XX:TieredStopAtLevel=1",
                        "-XX:+UseSerialGC",
                        "-Xmx256m",
                        "-cp",
                        System.getProperty("java.class.path"),
                        AtomicWriterMain.class.getName(),
                        tmp.resolve("out").toString(),
                        Boolean.toString(overwrite))
                .redirectErrorStream(true)
                .start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            StringBuilder seen = new StringBuilder();
            while ((line = r.readLine()) != null && !line.equals("WRITING")) {
                seen.append(line).append('\n');
            }
            assertEquals("WRITING", line, "child writer did not start:\n" + seen);
            p.destroyForcibly();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void writerKilledMidwayLeavesNothingCompleteAndARerunSucceeds() throws Exception {
        killWriterMidway(false);
        assertFalse(AtomicOutput.isComplete(fs, target));
        assertFalse(fs.exists(target), "the target must not appear before commit");
        List<String> left = siblings();
        assertEquals(1, left.size(), left.toString());
        assertTrue(left.get(0).startsWith("out._tmp-"), left.toString());
        try (Stream<java.nio.file.Path> all = Files.walk(tmp)) {
            assertTrue(all.noneMatch(p -> p.getFileName().toString().equals(AtomicOutput.SUCCESS)));
        }

        publish("rerun", false);
        assertTrue(AtomicOutput.isComplete(fs, target));
        assertEquals("rerun", read(new Path(target, "part-0")));
        assertEquals(1, AtomicOutput.cleanupStale(fs, target, Duration.ZERO));
        assertEquals(List.of("out"), siblings());
        assertEquals(
                List.of(AtomicOutput.OWNER, "_SUCCESS", "part-0"),
                Files.list(tmp.resolve("out"))
                        .map(p -> p.getFileName().toString())
                        .sorted()
                        .collect(Collectors.toList()),
                "no .crc side files either");
    }

    @Test
    void writerKilledWhileOverwritingLeavesTheOldOutputComplete() throws Exception {
        publish("v1", false);
        killWriterMidway(true);
        assertTrue(AtomicOutput.isComplete(fs, target));
        assertEquals("v1", read(new Path(target, "part-0")));
    }

    @Test
    void completeOutputIsNotOverwrittenUnlessAsked() throws Exception {
        publish("v1", false);
        OutputExistsException e =
                assertThrows(OutputExistsException.class, () -> AtomicOutput.begin(fs, target, false));
        assertTrue(e.getMessage().contains(target.toString()) && e.getMessage().contains("overwrite"), e.getMessage());
        publish("v2", true);
        assertEquals("v2", read(new Path(target, "part-0")));
        assertEquals(List.of("out"), siblings(), "the previous output is deleted once the new one is complete");
    }

    @Test
    void oldOutputStaysCompleteUntilTheNewOneIsCommitted() throws Exception {
        publish("v1", false);
        AtomicOutput out = AtomicOutput.begin(fs, target, true);
        write(new Path(out.dir(), "part-0"), "v2");
        assertTrue(AtomicOutput.isComplete(fs, target));
        assertEquals("v1", read(new Path(target, "part-0")));
        out.commit();
        assertEquals("v2", read(new Path(target, "part-0")));
    }

    @Test
    void ownUnfinishedOutputAtTheTargetIsReplacedWithoutAsking() throws Exception {
        fs.mkdirs(target);
        write(new Path(target, AtomicOutput.OWNER), "");
        write(new Path(target, "part-0"), "half"); // a writer killed between the rename and _SUCCESS
        publish("whole", false);
        assertEquals("whole", read(new Path(target, "part-0")));
    }

    @Test
    void aFolderOfTheUsersFilesIsRefusedAndKeptByteForByteUnlessOverwriteIsGiven() throws Exception {
        fs.mkdirs(target);
        write(new Path(target, "notes.txt"), "mine");
        fs.mkdirs(new Path(target, "sub"));
        write(new Path(target, "sub/data.bin"), "also mine");
        OutputExistsException e = assertThrows(OutputExistsException.class, () -> publish("new", false));
        assertTrue(
                e.getMessage().contains(target.toString())
                        && e.getMessage().contains("--overwrite")
                        && e.getMessage().contains("notes.txt")
                        && !e.getMessage().contains("\n"),
                e.getMessage());
        assertEquals("mine", read(new Path(target, "notes.txt")));
        assertEquals("also mine", read(new Path(target, "sub/data.bin")));
        assertEquals(List.of("out"), siblings(), "no temporary folder left behind");

        AtomicOutput started =
                AtomicOutput.begin(fs, new Path(tmp.resolve("other").toUri()), false);
        fs.mkdirs(new Path(tmp.resolve("other").toUri()));
        write(new Path(tmp.resolve("other/user.txt").toUri()), "appeared meanwhile");
        assertThrows(OutputExistsException.class, started::commit, "checked again at commit");
        assertEquals(
                "appeared meanwhile",
                read(new Path(tmp.resolve("other/user.txt").toUri())));
        started.abort();

        publish("new", true);
        assertEquals("new", read(new Path(target, "part-0")));
        assertFalse(fs.exists(new Path(target, "notes.txt")), "--overwrite replaces the folder");
        assertEquals(List.of("other", "out"), siblings());
    }

    @Test
    void anEmptyFolderAtTheTargetIsUsedWithoutAsking() throws Exception {
        fs.mkdirs(target);
        publish("v1", false);
        assertEquals("v1", read(new Path(target, "part-0")));
    }

    @Test
    void staleOldCopyIsKeptWhileTheTargetIsIncomplete() throws Exception {
        Path old = new Path(tmp.resolve("out._old-1234").toUri());
        fs.mkdirs(old);
        write(new Path(old, AtomicOutput.SUCCESS), "");
        assertEquals(0, AtomicOutput.cleanupStale(fs, target, Duration.ZERO));
        assertTrue(fs.exists(old));
        publish("new", false);
        assertEquals(1, AtomicOutput.cleanupStale(fs, target, Duration.ZERO));
        assertFalse(fs.exists(old));
    }

    @Test
    void singleFileWriteReplacesAtomicallyAndLeavesNoTemp() throws Exception {
        Path f = new Path(tmp.resolve("manifest.json").toUri());
        AtomicFiles.write(fs, f, "{\"v\":1}".getBytes(StandardCharsets.UTF_8));
        AtomicFiles.write(fs, f, "{\"v\":2}".getBytes(StandardCharsets.UTF_8));
        assertEquals("{\"v\":2}", read(f));
        assertEquals(List.of("manifest.json"), siblings());
        assertThrows(
                java.io.IOException.class,
                () -> AtomicFiles.write(fs, f, out -> {
                    throw new java.io.IOException("writer failed");
                }));
        assertEquals("{\"v\":2}", read(f));
        assertEquals(List.of("manifest.json"), siblings());
    }
}
