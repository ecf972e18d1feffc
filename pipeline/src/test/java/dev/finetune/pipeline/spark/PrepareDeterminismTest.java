package dev.finetune.pipeline.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.shards.Manifest;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shards are byte-identical whatever the cores, the number of Spark partitions and the way the same
 * documents are cut into input files.
 */
class PrepareDeterminismTest {
    @TempDir
    Path tmp;

    /** "file sha256" of every shard of every split, in manifest order. */
    static List<String> hashes(Manifest m) {
        List<String> out = new ArrayList<>();
        m.splits.forEach((name, s) -> s.shards.forEach(sh -> out.add(sh.file + " " + sh.rows + " " + sh.sha256)));
        return out;
    }

    private Manifest run(SparkSession spark, Path in, String out) throws IOException {
        PrepareOptions o = new PrepareOptions();
        o.source = in.toString();
        o.output = tmp.resolve(out).toString();
        o.tokenizer = "unused";
        o.maxSeqLength = 200;
        o.windowDocuments = 50;
        o.holdoutFraction = 0.05;
        return new PrepareJob(spark, o, new CodePointEncoderFactory("text", 0), "test").run();
    }

    @Test
    void shardsAreByteIdenticalAcrossCoresPartitionsAndFileLayouts() throws IOException {
        List<String> docs = FixtureDocuments.mixed(120);
        Path oneFile = tmp.resolve("one");
        Path fourFiles = tmp.resolve("four");
        FixtureDocuments.writeJsonl(oneFile, docs, 1);
        FixtureDocuments.writeJsonl(fourFiles, docs, 4);

        SparkSession one = SparkTestSession.start("local[1]");
        Manifest a;
        try {
            a = run(one, oneFile, "a");
        } finally {
            one.stop();
        }
        SparkSession two = SparkTestSession.start("local[2]");
        try {
            // Tiny splits: each input file is read by several partitions.
            two.conf().set("spark.sql.files.maxPartitionBytes", "16384");
            two.conf().set("spark.sql.files.openCostInBytes", "0");
            Manifest b = run(two, fourFiles, "b");
            assertTrue(
                    two.read().json(fourFiles.toString()).javaRDD().getNumPartitions() > 8,
                    "the input is spread over many partitions");
            assertEquals(hashes(a), hashes(b));
            assertEquals(a.splits.get("validation").documents, b.splits.get("validation").documents);
        } finally {
            two.stop();
        }
    }
}
