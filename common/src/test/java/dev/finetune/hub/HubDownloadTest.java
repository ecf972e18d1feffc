package dev.finetune.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HubDownloadTest {
    private static final HubRepo MODEL = HubRepo.model("acme/tiny-llm");

    @TempDir
    Path cache;

    private FakeHub hub;
    private byte[] shard1;
    private byte[] shard2;
    private String config;

    @BeforeEach
    void setUp() throws Exception {
        hub = FakeHub.start();
        shard1 = random(30_000, 1);
        shard2 = random(25_000, 2);
        config = "{\"model_type\":\"qwen2\",\"hidden_size\":64}";
        FakeRepo r = hub.repo(MODEL).makePrivate();
        r.put("main", "config.json", config);
        r.put("main", "tokenizer.json", "{\"version\":\"1.0\"}");
        r.put("main", "tokenizer_config.json", "{\"eos_token\":\"<|im_end|>\"}");
        r.put(
                "main",
                "model.safetensors.index.json",
                "{\"metadata\":{\"total_size\":1},\"weight_map\":{"
                        + "\"a\":\"model-00001-of-00002.safetensors\",\"b\":\"model-00002-of-00002.safetensors\","
                        + "\"c\":\"model-00001-of-00002.safetensors\"}}");
        r.put("main", "model-00001-of-00002.safetensors", shard1);
        r.put("main", "model-00002-of-00002.safetensors", shard2);
        r.put("main", "pytorch_model.bin", random(100, 3)); // not needed: must not be fetched
    }

    @AfterEach
    void tearDown() {
        hub.close();
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private HubClient client(boolean token) {
        return HubClient.create(hub.settings(cache, token).build());
    }

    @Test
    void modelSnapshotLandsInHuggingFaceCacheLayoutWithSymlinksToBlobs() throws Exception {
        Path dir = client(true).downloadModel(MODEL, "main");
        String commit = hub.existingRepo(MODEL).commitOf("main");
        Path repoDir = cache.resolve("models--acme--tiny-llm");
        assertEquals(repoDir.resolve("snapshots").resolve(commit), dir);
        assertEquals(commit, Files.readString(repoDir.resolve("refs/main")));
        // LFS blobs are named by sha256, regular ones by git blob sha1, computed here independently
        Path shardLink = dir.resolve("model-00001-of-00002.safetensors");
        assertTrue(Files.isSymbolicLink(shardLink));
        assertEquals(Path.of("../../blobs/" + FakeRepo.sha256(shard1)), Files.readSymbolicLink(shardLink));
        assertEquals(
                Path.of("../../blobs/" + FakeRepo.gitSha1(config.getBytes(StandardCharsets.UTF_8))),
                Files.readSymbolicLink(dir.resolve("config.json")));
        assertArrayEquals(shard1, Files.readAllBytes(shardLink));
        assertArrayEquals(shard2, Files.readAllBytes(dir.resolve("model-00002-of-00002.safetensors")));
        assertEquals(config, Files.readString(dir.resolve("config.json")));
        assertTrue(Files.exists(dir.resolve("tokenizer_config.json")));
        assertTrue(Files.notExists(dir.resolve("pytorch_model.bin")));
        assertTrue(Files.notExists(dir.resolve("generation_config.json")));
        try (var s = Files.list(repoDir.resolve("blobs"))) {
            assertTrue(s.noneMatch(p -> p.toString().endsWith(".incomplete")));
        }
    }

    @Test
    void tokenGoesToTheHubButNeverToTheRedirectHostNorTheLogs() throws Exception {
        client(true).downloadModel(MODEL, "main");
        List<FakeHub.Recorded> cdn =
                hub.requests().stream().filter(FakeHub.Recorded::toCdn).collect(Collectors.toList());
        List<FakeHub.Recorded> hubSide =
                hub.requests().stream().filter(r -> !r.toCdn()).collect(Collectors.toList());
        assertEquals(2, cdn.size(), "both shards are served by the other host: " + hub.requests());
        for (FakeHub.Recorded r : cdn) {
            assertNull(r.authorization, "token sent to the redirect host: " + r);
        }
        for (FakeHub.Recorded r : hubSide) {
            assertEquals("Bearer " + FakeHub.TOKEN, r.authorization, "hub request without token: " + r);
        }
        // relative redirects (small files via /api/resolve-cache) stay on the Hub and keep the token
        assertTrue(hubSide.stream().anyMatch(r -> r.path.startsWith("/api/resolve-cache/")));
        TestLogs.assertNoToken();
    }

    @Test
    void offlineModeServesTheCachedSnapshotWithoutAnyRequest() throws Exception {
        Path online = client(true).downloadModel(MODEL, "main");
        hub.clearRequests();
        HubClient offline =
                HubClient.create(hub.settings(cache, false).offline(true).build());
        assertEquals(online, offline.downloadModel(MODEL, "main"));
        assertEquals(online.resolve("config.json"), offline.downloadToCache(MODEL, "main", "config.json"));
        assertEquals(List.of(), hub.requests());
        HubAccessException e = assertThrows(
                HubAccessException.class, () -> offline.downloadToCache(MODEL, "main", "pytorch_model.bin"));
        assertEquals(HubAccessException.Kind.OFFLINE_NOT_CACHED, e.kind());
        assertTrue(
                e.getMessage().contains("pytorch_model.bin") && e.getMessage().contains("HF_HUB_OFFLINE"));
    }

    @Test
    void droppedConnectionResumesWithARangeRequest() throws Exception {
        hub.dropAfter("/cdn/" + FakeRepo.sha256(shard1), 10_000);
        Path dir = client(true).downloadModel(MODEL, "main");
        assertArrayEquals(shard1, Files.readAllBytes(dir.resolve("model-00001-of-00002.safetensors")));
        List<String> ranges = hub.requests().stream()
                .filter(r -> r.path.contains(FakeRepo.sha256(shard1)))
                .map(r -> r.range)
                .collect(Collectors.toList());
        assertEquals(2, ranges.size(), "one dropped GET and one resumed GET: " + ranges);
        assertEquals("bytes=0-", ranges.get(0), "always ranged: the CDN refuses range-less GETs of huge files");
        assertEquals("bytes=10000-", ranges.get(1));
    }

    @Test
    void partialFileLeftByAnEarlierProcessIsResumedNotRestarted() throws Exception {
        String sha = FakeRepo.sha256(shard2);
        Path blobs = Files.createDirectories(cache.resolve("models--acme--tiny-llm/blobs"));
        Files.write(blobs.resolve(sha + ".incomplete"), java.util.Arrays.copyOf(shard2, 7_000));
        Path f = client(true).downloadToCache(MODEL, "main", "model-00002-of-00002.safetensors");
        assertArrayEquals(shard2, Files.readAllBytes(f));
        List<FakeHub.Recorded> gets = hub.requests().stream()
                .filter(r -> r.toCdn() && r.method.equals("GET"))
                .collect(Collectors.toList());
        assertEquals(1, gets.size());
        assertEquals("bytes=7000-", gets.get(0).range);
    }

    @Test
    void corruptPartialFileFailsTheSha256CheckInsteadOfBeingPublished() throws Exception {
        String sha = FakeRepo.sha256(shard2);
        Path blobs = Files.createDirectories(cache.resolve("models--acme--tiny-llm/blobs"));
        byte[] wrong = java.util.Arrays.copyOf(shard2, 7_000);
        wrong[5] ^= 1;
        Files.write(blobs.resolve(sha + ".incomplete"), wrong);
        HubAccessException e = assertThrows(
                HubAccessException.class,
                () -> client(true).downloadToCache(MODEL, "main", "model-00002-of-00002.safetensors"));
        assertEquals(HubAccessException.Kind.INTEGRITY, e.kind());
        assertTrue(Files.notExists(blobs.resolve(sha)));
    }

    @Test
    void rateLimitAndServerErrorsAreRetriedHonouringRetryAfter() throws Exception {
        hub.failNext("/revision/", 429, Map.of("Retry-After", "1"), 1);
        hub.failNext("/resolve/", 503, Map.of(), 1);
        long t0 = System.nanoTime();
        Path dir = client(true).downloadModel(MODEL, "main");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms >= 1000, "Retry-After: 1 must be honoured, took " + ms + " ms");
        assertEquals(config, Files.readString(dir.resolve("config.json")));
        long revisionCalls = hub.requests().stream()
                .filter(r -> r.path.contains("/revision/"))
                .count();
        assertEquals(2, revisionCalls);
    }

    @Test
    void persistentServerErrorsGiveUpAfterTheConfiguredAttempts() {
        hub.failNext("/revision/", 500, Map.of(), 100);
        HubAccessException e =
                assertThrows(HubAccessException.class, () -> client(true).downloadModel(MODEL, "main"));
        assertEquals(HubAccessException.Kind.UNAVAILABLE, e.kind());
        assertTrue(e.getMessage().contains("after 4 attempt(s)"), e.getMessage());
        assertEquals(4, hub.requests().size());
    }

    @Test
    void streamDownloadOfARemoteFileResumesAndVerifies() throws Exception {
        String commit = hub.existingRepo(MODEL).commitOf("main");
        RemoteFile f = new RemoteFile(
                MODEL, commit, "model-00001-of-00002.safetensors", shard1.length, FakeRepo.sha256(shard1), null, null);
        hub.dropAfter("/cdn/", 4_321);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(shard1.length, client(true).download(f, out));
        assertArrayEquals(shard1, out.toByteArray());
        RemoteFile lying = new RemoteFile(MODEL, commit, f.path(), f.size(), FakeRepo.sha256(shard2), null, null);
        HubAccessException e =
                assertThrows(HubAccessException.class, () -> client(true).download(lying, new ByteArrayOutputStream()));
        assertEquals(HubAccessException.Kind.INTEGRITY, e.kind());
        assertNotNull(e.getMessage());
    }

    @Test
    void concurrentDownloadsOfTheSameFileFetchItOnce() throws Exception {
        HubClient c = client(true);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<Path>> fs = new java.util.ArrayList<>();
            for (int i = 0; i < 4; i++) {
                fs.add(pool.submit(() -> c.downloadToCache(MODEL, "main", "model-00001-of-00002.safetensors")));
            }
            for (java.util.concurrent.Future<Path> f : fs) {
                assertArrayEquals(shard1, Files.readAllBytes(f.get()));
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(
                1,
                hub.requests().stream()
                        .filter(r -> r.toCdn() && r.method.equals("GET"))
                        .count());
        assertTrue(Files.exists(cache.resolve(".locks/models--acme--tiny-llm/" + FakeRepo.sha256(shard1) + ".lock")));
    }

    @Test
    void stalledConnectionIsAbandonedAndResumed() throws Exception {
        String commit = hub.existingRepo(MODEL).commitOf("main");
        RemoteFile f = new RemoteFile(
                MODEL, commit, "model-00002-of-00002.safetensors", shard2.length, FakeRepo.sha256(shard2), null, null);
        hub.stallAfter("/cdn/", 5_000);
        HubClient c = HubClient.create(hub.settings(cache, true)
                .requestTimeout(java.time.Duration.ofSeconds(2))
                .build());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long t0 = System.nanoTime();
        c.download(f, out);
        assertArrayEquals(shard2, out.toByteArray());
        assertTrue((System.nanoTime() - t0) / 1_000_000 < 30_000, "the stall must not be waited out");
        assertEquals(
                "bytes=5000-",
                hub.requests().stream()
                        .filter(FakeHub.Recorded::toCdn)
                        .reduce((a, b) -> b)
                        .orElseThrow()
                        .range);
    }

    @Test
    void withSymlinksDisabledTheSnapshotHoldsCopies() throws Exception {
        HubClient c =
                HubClient.create(hub.settings(cache, true).disableSymlinks(true).build());
        Path f = c.downloadToCache(MODEL, "main", "model-00001-of-00002.safetensors");
        assertTrue(Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS));
        assertArrayEquals(shard1, Files.readAllBytes(f));
    }

    @Test
    void unreachableHubFallsBackToTheCachedCopyOfABranch() throws Exception {
        Path first = client(true).downloadToCache(MODEL, "main", "config.json");
        hub.failNext("/resolve/", 503, Map.of(), 100);
        assertEquals(first, client(true).downloadToCache(MODEL, "main", "config.json"));
    }
}
