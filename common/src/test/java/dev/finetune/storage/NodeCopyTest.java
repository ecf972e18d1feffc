package dev.finetune.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.Collections;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A folder on a Hadoop FileSystem copied once per machine: the copy holds the same bytes, a second request reuses it
 * without copying, a changed source is copied again, and the completion list sits beside the folder (DJL loads every
 * file inside a libtorch folder).
 */
class NodeCopyTest {

    @Test
    void aFolderIsCopiedOnceReusedAndCopiedAgainWhenTheSourceChanges(@TempDir Path tmp) throws IOException {
        Path src = Files.createDirectories(tmp.resolve("bucket/model"));
        Files.write(src.resolve("config.json"), "{}".getBytes(StandardCharsets.UTF_8));
        Files.createDirectories(src.resolve("sub"));
        Files.write(src.resolve("sub/weights.bin"), new byte[] {1, 2, 3, 4});
        Files.write(src.resolve("_SUCCESS"), new byte[0]);
        Path root = tmp.resolve("node-cache");
        String uri = src.toUri().toString(); // file:///.../bucket/model
        Configuration conf = new Configuration();

        Path copy = NodeCopy.folder(uri, conf, root);
        assertArrayEquals(new byte[] {1, 2, 3, 4}, Files.readAllBytes(copy.resolve("sub/weights.bin")));
        assertEquals("{}", new String(Files.readAllBytes(copy.resolve("config.json")), StandardCharsets.UTF_8));
        assertFalse(Files.exists(copy.resolve("_SUCCESS")), "markers are not part of the folder");
        try (Stream<Path> s = Files.list(copy)) {
            assertFalse(s.anyMatch(p -> p.getFileName().toString().startsWith(".")), "nothing of ours inside the copy");
        }
        assertTrue(Files.isRegularFile(root.resolve(copy.getFileName() + ".complete")));

        FileTime before = FileTime.fromMillis(1_000_000L);
        Files.setLastModifiedTime(copy.resolve("config.json"), before);
        assertEquals(copy, NodeCopy.folder(uri, conf, root));
        assertEquals(before, Files.getLastModifiedTime(copy.resolve("config.json")), "reused, not copied again");

        Files.write(src.resolve("sub/weights.bin"), new byte[] {5, 6, 7, 8, 9});
        assertEquals(copy, NodeCopy.folder(uri, conf, root));
        assertArrayEquals(new byte[] {5, 6, 7, 8, 9}, Files.readAllBytes(copy.resolve("sub/weights.bin")));
    }

    @Test
    void namedFilesAreCopiedAloneAndARequiredOneMustExist(@TempDir Path tmp) throws IOException {
        Path src = Files.createDirectories(tmp.resolve("model"));
        Files.write(src.resolve("tokenizer.json"), "t".getBytes(StandardCharsets.UTF_8));
        Files.write(src.resolve("model.safetensors"), new byte[1000]);
        Path root = tmp.resolve("cache");
        Path tok = NodeCopy.files(
                src.toUri().toString(),
                Arrays.asList("tokenizer.json", "tokenizer_config.json"),
                Collections.singletonList("tokenizer.json"),
                new Configuration(),
                root);
        assertTrue(Files.isRegularFile(tok.resolve("tokenizer.json")));
        assertFalse(Files.exists(tok.resolve("model.safetensors")));
        assertNotEquals(
                tok,
                NodeCopy.folder(src.toUri().toString(), new Configuration(), root),
                "the whole folder is a different copy");
        IOException e = assertThrows(
                IOException.class,
                () -> NodeCopy.files(
                        src.toUri().toString(),
                        Collections.singletonList("vocab.txt"),
                        Collections.singletonList("vocab.txt"),
                        new Configuration(),
                        root));
        assertTrue(e.getMessage().contains("vocab.txt"), e.getMessage());
    }

    @Test
    void onlyLocationsWithAFileSystemSchemeOtherThanFileAreRemote() {
        assertTrue(NodeCopy.isRemote("gs://bucket/model"));
        assertTrue(NodeCopy.isRemote("hdfs://nn/x"));
        assertTrue(NodeCopy.isRemote("viewfs://bucket/model"));
        assertFalse(NodeCopy.isRemote("file:///tmp/model"));
        assertFalse(NodeCopy.isRemote("/content/drive/MyDrive/model"));
        assertFalse(NodeCopy.isRemote("Qwen/Qwen2-7B"));
    }
}
