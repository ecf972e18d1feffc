package dev.finetune.trainer.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.tokenize.TextTokenizer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import org.junit.jupiter.api.Test;

class ConsoleStreamerTest {

    @Test
    void streamedTextEqualsTheDecodedReplyAndNeverShowsHalfACharacter() throws Exception {
        TextTokenizer tokenizer = TextTokenizer.shared(Paths.get(System.getProperty("fixtures.tokenizer.dir")));
        // byte-level BPE splits some of these characters (kanji, emoji) over several tokens
        String reply = "吾輩は猫である。名前はまだ無い 🐈‍⬛ done";
        int[] ids = tokenizer.encode(reply, false);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, "UTF-8");
        ConsoleStreamer streamer = new ConsoleStreamer(ConsoleStreamer.decoder(tokenizer), out);
        StringBuilder seen = new StringBuilder();
        for (int id : ids) {
            streamer.onToken(0, id);
            String now = new String(bytes.toByteArray(), StandardCharsets.UTF_8);
            assertFalse(now.contains("\uFFFD"), "printed a partial character: " + now);
            assertTrue(now.startsWith(seen.toString()), "printed text only grows");
            seen.setLength(0);
            seen.append(now);
        }
        streamer.onFinished(0);
        assertEquals(reply + System.lineSeparator(), new String(bytes.toByteArray(), StandardCharsets.UTF_8));
    }
}
