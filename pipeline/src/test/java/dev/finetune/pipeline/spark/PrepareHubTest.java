package dev.finetune.pipeline.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.hub.FakeHub;
import dev.finetune.hub.FakeRepo;
import dev.finetune.hub.HubAccessException;
import dev.finetune.hub.HubRepo;
import dev.finetune.hub.HubSettings;
import dev.finetune.shards.Manifest;
import dev.finetune.shards.ShardRow;
import dev.finetune.shards.ShardSet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * hf://datasets sources against the fake Hub: parquet export listing, executors fetching through a redirect
 * to another host, a 429 with Retry-After and a connection dropped mid-body; the token never reaches the
 * other host.
 */
class PrepareHubTest {
    private static SparkSession spark;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        spark = SparkTestSession.start("local[2]");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /** One parquet file with a "text" column holding {@code docs}, written by Spark. */
    private byte[] parquet(List<String> docs, String name) throws IOException {
        Path dir = tmp.resolve("parquet-" + name);
        spark.createDataset(docs, Encoders.STRING())
                .toDF("text")
                .coalesce(1)
                .write()
                .parquet(dir.toString());
        try (Stream<Path> s = Files.list(dir)) {
            Path part = s.filter(p -> p.getFileName().toString().endsWith(".parquet"))
                    .findFirst()
                    .get();
            return Files.readAllBytes(part);
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            StringBuilder sb = new StringBuilder();
            for (byte x : java.security.MessageDigest.getInstance("SHA-256").digest(bytes)) {
                sb.append(String.format("%02x", x));
            }
            return sb.toString();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> texts(ShardSet set, String split) throws IOException {
        List<String> out = new ArrayList<>();
        for (long i = 0; i < set.rows(split); i++) {
            ShardRow r = set.row(split, i);
            int n = r.realTokens();
            out.add(CodePointEncoderFactory.decode(r.ids, 0, n - 1)); // one document per row, EOS last
        }
        return out;
    }

    @Test
    void aHubDatasetIsStagedByExecutorsThroughRedirectsAndRetriesAndPrepared() throws IOException {
        List<String> docs = new ArrayList<>(FixtureDocuments.mixed(60));
        docs.removeIf(d -> d.codePointCount(0, d.length()) >= 4096); // one row per document
        List<String> first = docs.subList(0, 50);
        List<String> second = docs.subList(50, 100);
        List<String> validation = docs.subList(100, 120);
        try (FakeHub hub = FakeHub.start()) {
            FakeRepo repo = hub.repo(HubRepo.dataset("acme/novels"));
            repo.put("main", "README.md", "novels");
            repo.put("refs/convert/parquet", "default/train/0000.parquet", parquet(first, "a"));
            byte[] b = parquet(second, "b");
            repo.put("refs/convert/parquet", "default/train/0001.parquet", b);
            repo.put("refs/convert/parquet", "default/validation/0000.parquet", parquet(validation, "c"));
            hub.failNext("0000.parquet", 429, Collections.singletonMap("Retry-After", "0"), 1);
            hub.dropAfter("/cdn/" + sha256(b), 200);

            PrepareOptions o = new PrepareOptions();
            o.source = "hf://datasets/acme/novels";
            o.validationSplit = "validation";
            o.output = tmp.resolve("out").toString();
            o.tokenizer = "unused";
            o.maxSeqLength = 4096;
            o.packing = false;
            HubSettings settings =
                    hub.settings(tmp.resolve("hf-cache"), true).offline(false).build();
            Manifest m = new PrepareJob(spark, o, new CodePointEncoderFactory("text", 0), "test")
                    .withHub(settings)
                    .run();

            try (ShardSet set = ShardSet.open(new org.apache.hadoop.fs.Path(o.output), new Configuration())) {
                List<String> train = new ArrayList<>(first);
                train.addAll(second);
                assertEquals(train, texts(set, "train"));
                assertEquals(validation, texts(set, "validation"));
            }
            assertTrue(m.source.toString().contains("default/train/0001.parquet"), m.source.toString());
            List<FakeHub.Recorded> cdn =
                    hub.requests().stream().filter(FakeHub.Recorded::toCdn).collect(Collectors.toList());
            assertTrue(cdn.size() >= 3, "parquet files come from the other host: " + hub.requests());
            for (FakeHub.Recorded r : cdn) {
                assertNull(r.authorization, "token sent to the redirect host: " + r);
            }
            assertTrue(hub.requests().stream().anyMatch(r -> r.range != null), "the dropped download resumed");
            assertTrue(!Files.exists(tmp.resolve("out._staging")), "staging removed after publishing");
        }
    }

    @Test
    void aMissingDatasetSaysSo() {
        try (FakeHub hub = FakeHub.start()) {
            PrepareOptions o = new PrepareOptions();
            o.source = "hf://datasets/acme/nothing";
            o.output = tmp.resolve("out").toString();
            o.tokenizer = "unused";
            HubSettings settings =
                    hub.settings(tmp.resolve("hf-cache"), true).offline(false).build();
            HubAccessException e = assertThrows(
                    HubAccessException.class,
                    () -> new PrepareJob(spark, o, new CodePointEncoderFactory("text", 0), "test")
                            .withHub(settings)
                            .run());
            assertTrue(e.getMessage().contains("acme/nothing"), e.getMessage());
            assertTrue(!Files.exists(tmp.resolve("out")));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
