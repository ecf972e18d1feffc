package dev.finetune.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetResolverTest {
    private static final HubRepo CONVERTED = HubRepo.dataset("acme/chat-data");
    private static final HubRepo RAW = HubRepo.dataset("acme/raw-data");

    @TempDir
    Path cache;

    private FakeHub hub;

    @BeforeEach
    void setUp() throws Exception {
        hub = FakeHub.start();
        hub.treePageSize(2); // force several pages
        FakeRepo c = hub.repo(CONVERTED);
        c.put("main", "README.md", "# data");
        c.put("main", "data.jsonl", "{}");
        c.put("refs/convert/parquet", "default/train/0000.parquet", HubDownloadTest.random(3000, 10));
        c.put("refs/convert/parquet", "default/train/0001.parquet", HubDownloadTest.random(2000, 11));
        c.put("refs/convert/parquet", "default/test/0000.parquet", HubDownloadTest.random(1000, 12));
        c.put("refs/convert/parquet", "other/partial-train/0000.parquet", HubDownloadTest.random(500, 13));
        c.put("refs/convert/parquet", "big/train-part1/0000.parquet", HubDownloadTest.random(100, 14));
        c.put("refs/convert/parquet", "big/train-part0/0001.parquet", HubDownloadTest.random(100, 15));
        c.put("refs/convert/parquet", "big/train-part0/0000.parquet", HubDownloadTest.random(100, 16));
        FakeRepo r = hub.repo(RAW).makePrivate();
        r.put("main", "README.md", "# raw");
        r.put("main", ".gitattributes", "*.parquet filter=lfs");
        r.put("main", "data/train-00000-of-00002.parquet", HubDownloadTest.random(900, 20));
        r.put("main", "data/train-00001-of-00002.parquet", HubDownloadTest.random(800, 21));
        r.put("main", "data/validation-00000-of-00001.parquet", HubDownloadTest.random(700, 22));
        r.put("main", "eval/part0.parquet", HubDownloadTest.random(600, 23));
    }

    @AfterEach
    void tearDown() {
        hub.close();
    }

    private HubClient client() {
        return HubClient.create(hub.settings(cache, true).build());
    }

    @Test
    void parquetExportIsListedAcrossTreePagesWithSizesShaAndSplits() throws Exception {
        DatasetFiles d = client().listDatasetFiles(CONVERTED, null, null, null);
        FakeRepo c = hub.existingRepo(CONVERTED);
        String commit = c.commitOf("refs/convert/parquet");
        assertEquals(DatasetFiles.Source.PARQUET_CONVERSION, d.source());
        assertEquals("default", d.config());
        assertEquals(commit, d.commit());
        assertFalse(d.partial());
        assertEquals(
                List.of("default/test/0000.parquet", "default/train/0000.parquet", "default/train/0001.parquet"),
                d.files().stream().map(RemoteFile::path).collect(Collectors.toList()));
        for (RemoteFile f : d.files()) {
            byte[] content = c.files(commit).get(f.path());
            assertEquals(content.length, f.size());
            assertEquals(FakeRepo.sha256(content), f.sha256());
            assertEquals(commit, f.revision());
        }
        assertEquals(Set.of("train", "test"), d.splits());
        long treePages =
                hub.requests().stream().filter(r -> r.path.contains("/tree/")).count();
        assertTrue(treePages >= 4, "pagination must be followed, saw " + treePages + " tree requests");
        assertTrue(hub.requests().stream()
                .anyMatch(
                        r -> r.path.contains("/tree/refs%2Fconvert%2Fparquet") || r.path.contains("/tree/" + commit)));
    }

    @Test
    void partialSplitIsFlaggedAndNamedWithoutThePrefix() throws Exception {
        DatasetFiles d = client().listDatasetFiles(CONVERTED, "main", "other", "train");
        assertTrue(d.partial());
        assertEquals("train", d.files().get(0).split());
        assertEquals("other/partial-train/0000.parquet", d.files().get(0).path());
    }

    @Test
    void splitsOverTenThousandShardsAreOrderedByPartThenIndex() throws Exception {
        DatasetFiles d = client().listDatasetFiles(CONVERTED, null, "big", "train");
        assertEquals(
                List.of("big/train-part0/0000.parquet", "big/train-part0/0001.parquet", "big/train-part1/0000.parquet"),
                d.files().stream().map(RemoteFile::path).collect(Collectors.toList()));
    }

    @Test
    void unknownConfigOrSplitListsWhatExists() {
        HubAccessException cfg =
                assertThrows(HubAccessException.class, () -> client().listDatasetFiles(CONVERTED, null, "nope", null));
        assertTrue(cfg.getMessage().contains("[big, default, other]"), cfg.getMessage());
        HubAccessException split = assertThrows(
                HubAccessException.class, () -> client().listDatasetFiles(CONVERTED, null, null, "validation"));
        assertTrue(
                split.getMessage().contains("no split 'validation'")
                        && split.getMessage().contains("[test, train]"),
                split.getMessage());
    }

    @Test
    void withoutParquetExportTheRepoFilesAreUsedWithSplitsFromTheirNames() throws Exception {
        DatasetFiles d = client().listDatasetFiles(RAW, null, null, null);
        assertEquals(DatasetFiles.Source.REPO_FILES, d.source());
        assertEquals(DatasetFiles.Format.PARQUET, d.format());
        assertEquals(hub.existingRepo(RAW).commitOf("main"), d.commit());
        List<String> got =
                d.files().stream().map(f -> f.split() + ":" + f.path()).collect(Collectors.toList());
        assertEquals(
                List.of(
                        "test:eval/part0.parquet",
                        "train:data/train-00000-of-00002.parquet",
                        "train:data/train-00001-of-00002.parquet",
                        "validation:data/validation-00000-of-00001.parquet"),
                got);
        DatasetFiles train = client().listDatasetFiles(RAW, null, null, "train");
        assertEquals(2, train.files().size());
    }

    @Test
    void jsonlOnlyRepoIsListedAsJson() throws Exception {
        HubRepo jsonl = HubRepo.dataset("acme/jsonl");
        hub.repo(jsonl).put("main", "train.jsonl", "{\"text\":\"a\"}\n");
        hub.repo(jsonl).put("main", "test.jsonl", "{\"text\":\"b\"}\n");
        DatasetFiles d = client().listDatasetFiles(jsonl, null, null, "test");
        assertEquals(DatasetFiles.Format.JSON, d.format());
        assertEquals("test.jsonl", d.files().get(0).path());
        assertNull(d.files().get(0).sha256());
    }

    @Test
    void splitNamesAreInferredLikeTheDatasetsLibrary() {
        assertEquals("train", DatasetResolver.inferSplit("data/train-00000-of-00001.parquet"));
        assertEquals("validation", DatasetResolver.inferSplit("dev.jsonl"));
        assertEquals("validation", DatasetResolver.inferSplit("data/valid/0000.parquet"));
        assertEquals("test", DatasetResolver.inferSplit("testing/x.parquet"));
        assertEquals("train", DatasetResolver.inferSplit("data/shard-0.parquet"));
        assertEquals("train", DatasetResolver.inferSplit("contest/x.parquet")); // "contest" is not "test"
    }

    @Test
    void filesCanBeFetchedInParallelFromOtherThreadsIntoStreams() throws Exception {
        DatasetFiles d = client().listDatasetFiles(RAW, null, null, null);
        HubClient executorSide = HubClient.create(hub.settings(cache, true).build());
        hub.dropAfter("/cdn/" + d.files().get(1).sha256(), 100);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<byte[]>> futures = new ArrayList<>();
            for (RemoteFile f : d.files()) {
                futures.add(pool.submit(() -> {
                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                    executorSide.download(f, out);
                    return out.toByteArray();
                }));
            }
            FakeRepo r = hub.existingRepo(RAW);
            for (int i = 0; i < d.files().size(); i++) {
                assertArrayEquals(
                        r.files(d.commit()).get(d.files().get(i).path()),
                        futures.get(i).get());
            }
        } finally {
            pool.shutdownNow();
        }
        assertTrue(Files.notExists(cache.resolve("datasets--acme--raw-data")), "stream downloads bypass the cache");
        assertTrue(hub.requests().stream().filter(FakeHub.Recorded::toCdn).allMatch(r -> r.authorization == null));
    }
}
