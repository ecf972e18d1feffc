package dev.finetune.app.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Turns the bundled Aozora Bunko text into the demo's dataset: a jsonl file of {"text": ...} documents, the
 * same kind of input a user's dataset is. Ruby readings (《...》), their start marks (｜) and editorial notes
 * (［＃...］) are removed, so the model learns the prose rather than the markup; the transcriber's preface
 * (up to the first chapter heading) is left out.
 */
public final class DemoData {
    /** Paragraphs are joined into documents of at least this many characters. */
    static final int MIN_DOCUMENT_CHARS = 200;

    private DemoData() {}

    /** @return the number of documents written */
    public static int writeJsonl(Path text, Path jsonl) throws IOException {
        List<String> docs = documents(Files.readAllLines(text, StandardCharsets.UTF_8));
        Files.createDirectories(jsonl.getParent());
        ObjectMapper json = new ObjectMapper();
        try (BufferedWriter w = Files.newBufferedWriter(jsonl, StandardCharsets.UTF_8)) {
            for (String d : docs) {
                w.write(json.writeValueAsString(Collections.singletonMap("text", d)));
                w.write('\n');
            }
        }
        return docs.size();
    }

    static List<String> documents(List<String> lines) {
        int start = 0;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains("中見出し")) {
                start = i + 1;
                break;
            }
        }
        List<String> docs = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (String line : lines.subList(start, lines.size())) {
            String p = clean(line);
            if (p.isEmpty()) {
                continue;
            }
            if (cur.length() > 0) {
                cur.append('\n');
            }
            cur.append(p);
            if (cur.length() >= MIN_DOCUMENT_CHARS) {
                docs.add(cur.toString());
                cur.setLength(0);
            }
        }
        if (cur.length() > 0) {
            docs.add(cur.toString());
        }
        return docs;
    }

    static String clean(String line) {
        return line.replaceAll("《[^》]*》", "")
                .replaceAll("［＃[^］]*］", "")
                .replace("｜", "")
                .trim()
                .replaceFirst("^\u3000+", "");
    }
}
