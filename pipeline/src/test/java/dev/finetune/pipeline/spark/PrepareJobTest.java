package dev.finetune.pipeline.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.pipeline.ingest.Holdout;
import dev.finetune.shards.Manifest;
import dev.finetune.shards.ShardRow;
import dev.finetune.shards.ShardSet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The job's mechanics on the fixture texts with a code-point encoder (exact decoding, no tokenizer). */
class PrepareJobTest {
    private static SparkSession spark;
    private static List<String> docs;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() throws IOException {
        spark = SparkTestSession.start("local[2]");
        docs = FixtureDocuments.mixed(150);
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private PrepareOptions options(Path input, String output) {
        PrepareOptions o = new PrepareOptions();
        o.source = input.toString();
        o.output = output;
        o.tokenizer = "unused-by-the-code-point-encoder";
        o.maxSeqLength = 256;
        o.windowDocuments = 64;
        return o;
    }

    private static Manifest run(PrepareOptions o) throws IOException {
        return new PrepareJob(spark, o, new CodePointEncoderFactory("text", 0), "test").run();
    }

    /** Row segments in row order, as text; a segment is a document or a piece of one. */
    private static List<String> segments(ShardSet set, String split) throws IOException {
        List<String> out = new ArrayList<>();
        for (long i = 0; i < set.rows(split); i++) {
            ShardRow r = set.row(split, i);
            int t = 0;
            while (t < r.length() && r.segments[t] != 0) {
                int s = t;
                while (t < r.length() && r.segments[t] == r.segments[s]) {
                    t++;
                }
                out.add(CodePointEncoderFactory.decode(r.ids, s, t));
            }
        }
        return out;
    }

    private static List<String> pieces(List<String> documents, int max) {
        List<String> out = new ArrayList<>();
        for (String d : documents) {
            int[] ids = (d + "\u0000").codePoints().toArray();
            ids[ids.length - 1] = CodePointEncoderFactory.EOS;
            for (int s = 0; s < ids.length; s += max) {
                out.add(CodePointEncoderFactory.decode(ids, s, Math.min(ids.length, s + max)));
            }
        }
        return out;
    }

    private static Map<String, Integer> multiset(List<String> l) {
        Map<String, Integer> m = new HashMap<>();
        l.forEach(s -> m.merge(s, 1, Integer::sum));
        return m;
    }

    @Test
    void withPackingOffRowsGiveBackEveryDocumentInFileOrder() throws IOException {
        FixtureDocuments.writeJsonl(tmp.resolve("in"), docs, 3);
        PrepareOptions o = options(tmp.resolve("in"), tmp.resolve("out").toString());
        o.packing = false;
        Manifest m = run(o);
        try (ShardSet set = ShardSet.open(new org.apache.hadoop.fs.Path(o.output), new Configuration())) {
            assertEquals(pieces(docs, 256), segments(set, "train"));
            assertEquals(docs.size(), m.splits.get("train").documents);
            set.verifyChecksums();
        }
    }

    @Test
    void packedRowsHoldExactlyTheDocumentsAndTheCountsAgree() throws IOException {
        FixtureDocuments.writeJsonl(tmp.resolve("in"), docs, 2);
        PrepareOptions o = options(tmp.resolve("in"), tmp.resolve("out").toString());
        Manifest m = run(o);
        try (ShardSet set = ShardSet.open(new org.apache.hadoop.fs.Path(o.output), new Configuration())) {
            List<String> expected = pieces(docs, 256);
            assertEquals(multiset(expected), multiset(segments(set, "train")));
            Manifest.Split s = m.splits.get("train");
            long tokens = 0;
            long loss = 0;
            for (long i = 0; i < set.rows("train"); i++) {
                ShardRow r = set.row("train", i);
                tokens += r.realTokens();
                loss += r.targetTokens();
            }
            assertEquals(tokens, s.tokens);
            assertEquals(loss, s.lossTokens);
            assertEquals(tokens - expected.size(), loss, "every segment's first token untrained, the rest trained");
            assertEquals(s.rows * 256 - tokens, s.paddingTokens);
            assertEquals((double) tokens / (s.rows * 256), s.packingEfficiency, 1e-12);
            assertEquals((docs.size() + 63) / 64, s.shards.size(), "one shard per window of 64 documents");
            assertTrue(s.packingEfficiency > 0.9, "efficiency " + s.packingEfficiency);
            assertTrue(s.splitDocuments > 0, "the fixture has documents longer than a row");
        }
    }

    @Test
    void aHoldoutSendsTheSameDocumentsToValidationEveryTime() throws IOException {
        FixtureDocuments.writeJsonl(tmp.resolve("in"), docs, 1);
        PrepareOptions o = options(tmp.resolve("in"), tmp.resolve("out").toString());
        o.packing = false;
        o.holdoutFraction = 0.1;
        o.holdoutSeed = 7;
        Manifest m = run(o);
        Holdout h = new Holdout(0.1, 7);
        List<String> train = new ArrayList<>();
        List<String> validation = new ArrayList<>();
        for (int g = 0; g < docs.size(); g++) {
            (h.isValidation(g) ? validation : train).add(docs.get(g));
        }
        assertFalse(validation.isEmpty());
        try (ShardSet set = ShardSet.open(new org.apache.hadoop.fs.Path(o.output), new Configuration())) {
            assertEquals(pieces(train, 256), segments(set, "train"));
            assertEquals(pieces(validation, 256), segments(set, "validation"));
            assertEquals(validation.size(), m.splits.get("validation").documents);
        }
    }

    @Test
    void rerunningOverACompleteOutputDoesNothingUnlessOverwriting() throws IOException {
        FixtureDocuments.writeJsonl(tmp.resolve("in"), docs.subList(0, 100), 1);
        PrepareOptions o = options(tmp.resolve("in"), tmp.resolve("out").toString());
        Manifest first = run(o);
        Path manifest = tmp.resolve("out/manifest.json");
        long modified = Files.getLastModifiedTime(manifest).toMillis();
        assertEquals(first.created, run(o).created);
        assertEquals(modified, Files.getLastModifiedTime(manifest).toMillis());
        o.overwrite = true;
        Manifest again = run(o);
        assertNotEquals(first.created, again.created);
        assertEquals(
                first.splits.get("train").shards.get(0).sha256,
                again.splits.get("train").shards.get(0).sha256);
        try (java.util.stream.Stream<Path> siblings = Files.list(tmp)) {
            assertEquals(
                    0,
                    siblings.filter(p -> p.getFileName().toString().contains("._tmp-"))
                            .count(),
                    "no temporary directories left behind");
        }
    }

    @Test
    void aMissingColumnIsNamedWithTheColumnsThatExist() throws IOException {
        FixtureDocuments.writeJsonl(tmp.resolve("in"), docs.subList(0, 10), 1);
        PrepareOptions o = options(tmp.resolve("in"), tmp.resolve("out").toString());
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> new PrepareJob(spark, o, new CodePointEncoderFactory("content", 0), "test").run());
        assertTrue(e.getMessage().contains("column \"content\" not found"), e.getMessage());
        assertTrue(e.getMessage().contains("[text]"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("out")));
    }

    @Test
    void anEmptyDatasetIsRefused() throws IOException {
        Files.createDirectories(tmp.resolve("in"));
        Files.write(tmp.resolve("in/empty.parquet.jsonl"), new byte[0]);
        PrepareOptions o = options(tmp.resolve("in"), tmp.resolve("out").toString());
        o.format = "jsonl";
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> run(o));
        assertTrue(
                e.getMessage().contains(tmp.resolve("in/empty.parquet.jsonl").toString() + " is empty"),
                e.getMessage());
        assertFalse(Files.exists(tmp.resolve("out")));
    }

    /** The message of the first cause that is an IllegalArgumentException (Spark wraps executor failures). */
    private static String userMessage(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof IllegalArgumentException) {
                return t.getMessage();
            }
        }
        throw new AssertionError("no IllegalArgumentException among the causes", e);
    }

    /** Three good lines, then {@code bad} as line 4, then good lines again. */
    private Path jsonlWithLine4(byte[] bad) throws IOException {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < 8; i++) {
            b.write(i == 3 ? bad : ("{\"text\": \"document " + i + " of the file\"}").getBytes("UTF-8"));
            b.write('\n');
        }
        Files.createDirectories(tmp.resolve("in"));
        Path f = tmp.resolve("in/data.jsonl");
        Files.write(f, b.toByteArray());
        return f;
    }

    @Test
    void aLineThatIsNotJsonIsReportedAsSuchWithFileAndLine() throws IOException {
        Path f = jsonlWithLine4("{\"text\": \"cut off".getBytes("UTF-8"));
        PrepareOptions o = options(tmp.resolve("in"), tmp.resolve("out").toString());
        String m = userMessage(assertThrows(Exception.class, () -> run(o)));
        assertTrue(m.contains(f.toUri().getPath() + " line 4 is not valid JSON"), m);
        assertFalse(m.contains("found null"), m);
        assertFalse(Files.exists(tmp.resolve("out")));
    }

    @Test
    void aLineThatIsNotUtf8IsReportedAsSuchWithFileAndLine() throws IOException {
        byte[] latin1 = "{\"text\": \"caf\u00e9 au lait\"}".getBytes("ISO-8859-1");
        Path f = jsonlWithLine4(latin1);
        PrepareOptions o = options(tmp.resolve("in"), tmp.resolve("out").toString());
        String m = userMessage(assertThrows(Exception.class, () -> run(o)));
        assertTrue(m.contains(f.toUri().getPath() + " line 4: not valid UTF-8 (byte 0xE9, the line's byte 14)"), m);
        assertFalse(Files.exists(tmp.resolve("out")));
    }

    @Test
    void aSourceThatDoesNotExistIsNamed() {
        PrepareOptions o = options(tmp.resolve("nowhere"), tmp.resolve("out").toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> run(o));
        assertTrue(e.getMessage().contains("nowhere") && e.getMessage().contains("does not exist"), e.getMessage());
    }
}
