package dev.finetune.pipeline.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Documents made from the fixture texts (Japanese and English): blocks separated by blank lines, and blocks
 * longer than a few lines cut every {@code LINES} lines (the Japanese and Botchan texts have no blank lines).
 */
final class FixtureDocuments {
    static final String[] TEXTS = {"en_botchan.txt", "en_mobydick.txt", "ja_wagahai.txt"};
    private static final int LINES = 6;

    private FixtureDocuments() {}

    static Path fixtures() {
        String dir = System.getProperty("fixtures.dir");
        if (dir == null) {
            throw new IllegalStateException("system property fixtures.dir not set (surefire sets it)");
        }
        return Paths.get(dir);
    }

    /** The Qwen3 tokenizer folder (the one the demo bundles; surefire sets fixtures.tokenizer.dir). */
    static Path tokenizer() {
        String dir = System.getProperty("fixtures.tokenizer.dir");
        if (dir == null) {
            throw new IllegalStateException("system property fixtures.tokenizer.dir not set (surefire sets it)");
        }
        return Paths.get(dir);
    }

    /** The documents of one fixture text, at most {@code max} of them. */
    static List<String> documents(String text, int max) throws IOException {
        String all = new String(Files.readAllBytes(fixtures().resolve("text").resolve(text)), StandardCharsets.UTF_8);
        List<String> docs = new ArrayList<>();
        for (String block : all.split("\n\\s*\n")) {
            String[] lines = block.split("\n");
            for (int i = 0; i < lines.length && docs.size() < max; i += LINES) {
                String d = String.join("\n", java.util.Arrays.copyOfRange(lines, i, Math.min(lines.length, i + LINES)));
                if (!d.trim().isEmpty()) {
                    docs.add(d);
                }
            }
        }
        return docs;
    }

    /** Writes documents as JSON lines {"text": …} into {@code files} files of {@code dir}, in order. */
    static List<Path> writeJsonl(Path dir, List<String> docs, int files) throws IOException {
        Files.createDirectories(dir);
        ObjectMapper json = new ObjectMapper();
        List<Path> paths = new ArrayList<>();
        int per = (docs.size() + files - 1) / files;
        for (int f = 0; f < files; f++) {
            Path p = dir.resolve(String.format("part-%03d.jsonl", f));
            try (BufferedWriter w = Files.newBufferedWriter(p, StandardCharsets.UTF_8)) {
                for (String d : docs.subList(Math.min(docs.size(), f * per), Math.min(docs.size(), (f + 1) * per))) {
                    w.write(json.writeValueAsString(Collections.singletonMap("text", d)));
                    w.write('\n');
                }
            }
            paths.add(p);
        }
        return paths;
    }

    /** Documents from every fixture text, {@code perText} of each, English and Japanese interleaved by file. */
    static List<String> mixed(int perText) throws IOException {
        List<String> docs = new ArrayList<>();
        for (String t : TEXTS) {
            docs.addAll(documents(t, perText));
        }
        return docs;
    }
}
