package dev.finetune.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HubPushTest {
    private static final HubRepo TARGET = HubRepo.model("me/my-adapter");

    @TempDir
    Path cache;

    @TempDir
    Path folder;

    private FakeHub hub;
    private byte[] weights;
    private String config;
    private String readme;

    @BeforeEach
    void setUp() throws Exception {
        hub = FakeHub.start();
        weights = HubDownloadTest.random(20_000, 7);
        config = "{\"peft_type\":\"LORA\",\"r\":16}";
        readme = "---\nlibrary_name: peft\n---\n# adapter\n";
        Files.write(folder.resolve("adapter_model.safetensors"), weights);
        Files.writeString(folder.resolve("adapter_config.json"), config);
        Files.writeString(folder.resolve("README.md"), readme);
        Files.writeString(folder.resolve("_SUCCESS"), "");
        Files.createDirectories(folder.resolve(".cache"));
        Files.writeString(folder.resolve(".cache/state"), "local only");
    }

    @AfterEach
    void tearDown() {
        hub.close();
    }

    private HubClient client() {
        return HubClient.create(hub.settings(cache, true).build());
    }

    @Test
    void pushSendsExactlyTheFolderFilesWithOneLfsUploadSurvivingA5xx() throws Exception {
        hub.failNext("/lfs-upload/", 500, Map.of(), 1);
        CommitResult result = client().push(TARGET, folder, null, "Upload LoRA adapter", true);

        assertTrue(hub.existingRepo(TARGET).privateRepo, "repos are created private by default");
        List<JsonNode> lines = hub.commits().get(0);
        assertEquals(1, hub.commits().size());
        assertEquals("header", lines.get(0).path("key").asText());
        assertEquals(
                "Upload LoRA adapter",
                lines.get(0).path("value").path("summary").asText());
        Map<String, JsonNode> byPath = lines.subList(1, lines.size()).stream()
                .collect(Collectors.toMap(l -> l.path("value").path("path").asText(), l -> l));
        assertEquals(
                java.util.Set.of("adapter_config.json", "README.md", "adapter_model.safetensors"), byPath.keySet());
        assertEquals("file", byPath.get("adapter_config.json").path("key").asText());
        assertEquals(
                config,
                new String(
                        Base64.getDecoder()
                                .decode(byPath.get("adapter_config.json")
                                        .path("value")
                                        .path("content")
                                        .asText()),
                        StandardCharsets.UTF_8));
        assertEquals(
                readme,
                new String(
                        Base64.getDecoder()
                                .decode(byPath.get("README.md")
                                        .path("value")
                                        .path("content")
                                        .asText()),
                        StandardCharsets.UTF_8));
        JsonNode lfs = byPath.get("adapter_model.safetensors");
        assertEquals("lfsFile", lfs.path("key").asText());
        assertEquals(FakeRepo.sha256(weights), lfs.path("value").path("oid").asText());
        assertEquals(weights.length, lfs.path("value").path("size").asLong());
        assertArrayEquals(weights, hub.lfsStore().get(FakeRepo.sha256(weights)));

        List<FakeHub.Recorded> puts =
                hub.requests().stream().filter(r -> r.method.equals("PUT")).collect(Collectors.toList());
        assertEquals(2, puts.size(), "one failed PUT, one retried: " + puts);
        for (FakeHub.Recorded p : puts) {
            assertTrue(p.toCdn());
            assertNull(p.authorization, "token sent to the upload host");
            assertEquals(FakeHub.UPLOAD_SIG, p.header(FakeHub.UPLOAD_SIG_HEADER));
            assertArrayEquals(weights, p.body);
        }
        assertTrue(hub.requests().stream()
                .filter(r -> !r.toCdn())
                .allMatch(r -> ("Bearer " + FakeHub.TOKEN).equals(r.authorization)));
        List<FakeHub.Recorded> verify = hub.requests().stream()
                .filter(r -> r.path.startsWith("/lfs-verify/"))
                .collect(Collectors.toList());
        assertEquals(1, verify.size(), "the batch answer asked for a verify call");
        assertTrue(!verify.get(0).toCdn() && ("Bearer " + FakeHub.TOKEN).equals(verify.get(0).authorization));
        assertEquals(hub.existingRepo(TARGET).commitOf("main"), result.commitOid());
        TestLogs.assertNoToken();
    }

    @Test
    void pushedAdapterDownloadsBackByteForByte() throws Exception {
        client().push(TARGET, folder, "main", "first", true);
        Path dir = client().downloadAdapter(TARGET, "main");
        assertArrayEquals(weights, Files.readAllBytes(dir.resolve("adapter_model.safetensors")));
        assertEquals(config, Files.readString(dir.resolve("adapter_config.json")));
        assertEquals(readme, Files.readString(dir.resolve("README.md")));
    }

    @Test
    void unchangedFilesAreNotPushedAgain() throws Exception {
        client().push(TARGET, folder, "main", "first", true);
        Files.writeString(folder.resolve("README.md"), readme + "more\n");
        CommitResult second = client().push(TARGET, folder, "main", "second", true);
        assertEquals(List.of("README.md"), second.uploaded());
        assertEquals(
                List.of("adapter_config.json", "adapter_model.safetensors"),
                second.unchanged().stream().sorted().collect(Collectors.toList()));
        assertEquals(
                1, hub.requests().stream().filter(r -> r.method.equals("PUT")).count());
    }

    @Test
    void multipartLfsUploadReassemblesTheSameBytes() throws Exception {
        hub.multipartChunk(6_000);
        client().push(TARGET, folder, "main", "multipart", false);
        assertArrayEquals(weights, hub.lfsStore().get(FakeRepo.sha256(weights)));
        assertEquals(
                4,
                hub.requests().stream()
                        .filter(r -> r.method.equals("PUT") && r.toCdn())
                        .count());
        assertTrue(hub.requests().stream().filter(FakeHub.Recorded::toCdn).allMatch(r -> r.authorization == null));
    }

    @Test
    void theCommitIsNotReplayedAfterAServerError() {
        hub.failNext("/commit/", 500, Map.of(), 1);
        HubAccessException e =
                assertThrows(HubAccessException.class, () -> client().push(TARGET, folder, "main", "msg", true));
        assertEquals(HubAccessException.Kind.UNAVAILABLE, e.kind());
        assertEquals(
                1,
                hub.requests().stream().filter(r -> r.path.contains("/commit/")).count());
    }

    @Test
    void pushWithoutTokenFailsWithLoginHint() {
        HubClient anon = HubClient.create(hub.settings(cache, false).build());
        HubAccessException e =
                assertThrows(HubAccessException.class, () -> anon.push(TARGET, folder, "main", "msg", true));
        assertEquals(HubAccessException.Kind.UNAUTHORIZED, e.kind());
        assertTrue(e.getMessage().contains("huggingface-cli login"), e.getMessage());
    }

    @Test
    void refusalByTheUploadHostIsNotBlamedOnTheToken() {
        hub.failNext("/lfs-upload/", 403, Map.of(), 1);
        HubAccessException e =
                assertThrows(HubAccessException.class, () -> client().push(TARGET, folder, "main", "msg", true));
        assertEquals(HubAccessException.Kind.FORBIDDEN, e.kind());
        assertTrue(
                e.getMessage().contains("storage host 127.0.0.1")
                        && e.getMessage().contains("pre-signed"),
                e.getMessage());
        assertTrue(!e.getMessage().contains("X-Amz-Signature"), "signed query strings stay out of messages");
        assertEquals(0, hub.commits().size());
    }

    @Test
    void aPushWithoutNetworkSaysUploadingNeedsItAndDoesNotOfferOfflineMode() {
        HubSettings settings = hub.settings(cache, true)
                .retry(RetryPolicy.of(
                        1,
                        java.time.Duration.ofMillis(1),
                        java.time.Duration.ofMillis(1),
                        java.time.Duration.ofMillis(1)))
                .build();
        hub.close(); // nothing listens on the endpoint any more: connection refused, as when offline
        HubAccessException e = assertThrows(
                HubAccessException.class,
                () -> HubClient.create(settings).push(TARGET, folder, null, "Upload LoRA adapter", true));
        assertTrue(e.getMessage().contains("Uploading needs the network"), e.getMessage());
        assertTrue(!e.getMessage().contains("HF_HUB_OFFLINE"), e.getMessage());
    }

    @Test
    void aPushInOfflineModeIsRefusedSayingToUnsetIt() {
        HubAccessException e = assertThrows(
                HubAccessException.class,
                () -> HubClient.create(hub.settings(cache, true).offline(true).build())
                        .push(TARGET, folder, null, "Upload LoRA adapter", true));
        assertTrue(
                e.getMessage()
                        .contains("HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) is set, and uploading needs the "
                                + "network"),
                e.getMessage());
        assertTrue(hub.requests().isEmpty(), "nothing sent: " + hub.requests());
    }
}
