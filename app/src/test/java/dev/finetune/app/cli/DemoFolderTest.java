package dev.finetune.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.config.ConfigException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo writes only into a folder that is missing, empty or its own; a folder of the user's is refused intact. */
class DemoFolderTest {
    @TempDir
    Path tmp;

    @Test
    void aFolderHoldingTheUsersFilesIsRefusedBeforeTheDemoWritesAnything() throws Exception {
        Path project = Files.createDirectories(tmp.resolve("demo"));
        Files.write(project.resolve("thesis.tex"), "mine".getBytes(StandardCharsets.UTF_8));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = Main.run(
                new String[] {"demo", "--base-save-dir", tmp.toString(), "--project-name", "demo"},
                new PrintStream(out, true),
                new PrintStream(err, true));
        assertEquals(Main.USAGE, rc, err.toString());
        String e = err.toString(StandardCharsets.UTF_8);
        assertTrue(e.contains(project.toString()) && e.contains("thesis.tex") && e.contains("--overwrite"), e);
        try (java.util.stream.Stream<Path> s = Files.list(project)) {
            assertEquals(1, s.count(), "nothing written beside the user's file");
        }
        assertEquals("mine", Files.readString(project.resolve("thesis.tex")));
    }

    @Test
    void missingEmptyOrItsOwnFolderIsAccepted() throws Exception {
        DemoSubcommand.requireDemoFolder(tmp.resolve("missing"));
        Path own = Files.createDirectories(tmp.resolve("own"));
        DemoSubcommand.requireDemoFolder(own);
        for (String entry : DemoSubcommand.DEMO_ENTRIES) {
            Files.createDirectories(own.resolve(entry));
        }
        Files.createDirectories(own.resolve(".tmp-final-1234"));
        DemoSubcommand.requireDemoFolder(own);
        Files.write(own.resolve("notes.md"), new byte[0]);
        assertThrows(ConfigException.class, () -> DemoSubcommand.requireDemoFolder(own));
    }
}
