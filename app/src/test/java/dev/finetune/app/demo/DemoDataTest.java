package dev.finetune.app.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoDataTest {

    @Test
    void rubyAndEditorialNotesAreRemoved() {
        assertEquals("吾輩は猫である。名前はまだ無い。", DemoData.clean("　吾輩《わがはい》は猫である。名前はまだ無い。"));
        assertEquals("一疋も見えぬ。", DemoData.clean("一｜疋《ぴき》も見えぬ。"));
        assertEquals("御めえのうち", DemoData.clean("御めえ［＃「御めえ」に傍点］のうち"));
    }

    @Test
    void documentsSkipThePrefaceAndKeepEveryParagraphInOrder() {
        List<String> lines = Arrays.asList("吾輩は猫である", "【記号について】", "［＃８字下げ］一［＃「一」は中見出し］", "　第一段落。", "", "　第二段落。");
        List<String> docs = DemoData.documents(lines);
        assertEquals(Arrays.asList("第一段落。\n第二段落。"), docs);
    }

    @Test
    void theBundledTextBecomesJsonlOfTextRecords(@TempDir Path dir) throws IOException {
        Path text = Paths.get(System.getProperty("project.root", "..")).resolve("app/src/demo/text/ja_wagahai_ch1.txt");
        Path out = dir.resolve("d/wagahai.jsonl");
        int n = DemoData.writeJsonl(text, out);
        List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
        assertEquals(n, lines.size());
        assertTrue(n > 10, "expected many documents, got " + n);
        ObjectMapper json = new ObjectMapper();
        String first = json.readTree(lines.get(0)).get("text").asText();
        assertTrue(first.startsWith("吾輩は猫である。名前はまだ無い。"), first);
        for (String l : lines) {
            String t = json.readTree(l).get("text").asText();
            assertFalse(t.contains("《") || t.contains("［＃"), t);
        }
    }
}
