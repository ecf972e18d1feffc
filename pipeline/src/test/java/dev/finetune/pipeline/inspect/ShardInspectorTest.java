package dev.finetune.pipeline.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.shards.Manifest;
import dev.finetune.shards.ShardFormat;
import dev.finetune.shards.ShardRow;
import dev.finetune.shards.ShardSet;
import dev.finetune.shards.ShardWriter;
import java.io.IOException;
import java.nio.file.Files;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShardInspectorTest {
    @TempDir
    java.nio.file.Path tmp;

    /** One row: segment 1 = "Q:hi|A:yo" with "yo" trained, segment 2 = "ok" with "k" trained, then padding. */
    private ShardSet output() throws IOException {
        String text = "Q:hi|A:yoók";
        int[] ids = text.codePoints().toArray();
        ShardRow row = new ShardRow(16);
        for (int t = 0; t < 16; t++) {
            row.ids[t] = t < ids.length ? ids[t] : '_';
            row.segments[t] = t < 9 ? 1 : t < ids.length ? 2 : 0;
        }
        row.targets[7] = 1;
        row.targets[8] = 1;
        row.targets[10] = 1;
        Configuration conf = new Configuration();
        Manifest m = new Manifest();
        m.maxSeqLength = 16;
        m.template.kind = "chat";
        Manifest.Split s = new Manifest.Split();
        try (ShardWriter w =
                new ShardWriter(new Path(tmp.toString(), ShardFormat.shardPath("train", 0)), conf, 16, 1)) {
            w.write(row);
            w.close();
            s.shards.add(w.describe(ShardFormat.shardPath("train", 0)));
        }
        s.rows = 1;
        s.documents = 2;
        s.tokens = ids.length;
        s.lossTokens = 3;
        m.splits.put("train", s);
        m.write(new Path(tmp.toString(), ShardFormat.MANIFEST), conf);
        Files.createFile(tmp.resolve(ShardFormat.SUCCESS));
        return ShardSet.open(new Path(tmp.toString()), conf);
    }

    @Test
    void trainedTokensAreWrappedInMarkersSegmentBySegment() throws IOException {
        ShardInspector inspector = new ShardInspector(ids -> new String(ids, 0, ids.length));
        try (ShardSet set = output()) {
            String shown = inspector.row(set, "train", 0);
            assertTrue(shown.contains("[segment 1] Q:hi|A:⟦yo⟧\n"), shown);
            assertTrue(shown.contains("[segment 2] ó⟦k⟧\n"), shown);
            assertTrue(shown.contains("2 segments, 11 tokens, 3 trained, 5 padding"), shown);
            String counts = ShardInspector.counts(set.manifest());
            assertTrue(counts.contains("train: 2 documents, 1 rows, 11 tokens, 3 trained"), counts);
        }
    }

    @Test
    void anIncompleteOutputIsAnErrorExit() throws IOException {
        Files.createDirectories(tmp.resolve("half"));
        assertEquals(
                2,
                InspectMain.run(
                        new String[] {"--shards", tmp.resolve("half").toString(), "--tokenizer", "x"}, System.out));
    }
}
