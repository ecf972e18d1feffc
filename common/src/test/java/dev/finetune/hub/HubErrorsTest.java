package dev.finetune.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.hub.HubAccessException.Kind;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

class HubErrorsTest {
    private static final HubRepo PRIVATE = HubRepo.model("acme/private-llm");
    private static final HubRepo GATED = HubRepo.model("meta/gated-llm");

    @TempDir
    Path cache;

    private FakeHub hub;

    @BeforeEach
    void setUp() throws Exception {
        hub = FakeHub.start();
        hub.repo(PRIVATE).makePrivate().put("main", "config.json", "{}");
        hub.repo(GATED).makeGated().put("main", "config.json", "{}");
    }

    @AfterEach
    void tearDown() {
        hub.close();
    }

    private HubAccessException fails(Kind kind, Executable call) {
        HubAccessException e = assertThrows(HubAccessException.class, call);
        assertEquals(kind, e.kind(), e.getMessage());
        assertFalse(e.getMessage().contains(FakeHub.TOKEN), "token in message: " + e.getMessage());
        assertFalse(String.valueOf(e).contains(FakeHub.TOKEN));
        return e;
    }

    private HubClient client(boolean token) {
        return HubClient.create(hub.settings(cache, token).build());
    }

    @Test
    void privateRepoWithoutTokenSaysPrivateOrMissingAndHowToLogIn() {
        HubAccessException e = fails(Kind.UNAUTHORIZED, () -> client(false).downloadModel(PRIVATE, "main"));
        assertTrue(e.getMessage().contains("private or does not exist"), e.getMessage());
        assertTrue(e.getMessage().contains("set HF_TOKEN or run `huggingface-cli login`"), e.getMessage());
        assertEquals(401, e.status());
    }

    @Test
    void invalidTokenIsReportedAsInvalidWithoutEchoingIt() {
        HubClient c = HubClient.create(hub.settings(cache, false)
                .token(HfToken.of("hf_wrongWrongWrong"))
                .build());
        HubAccessException e = fails(Kind.UNAUTHORIZED, () -> c.downloadModel(PRIVATE, "main"));
        assertTrue(e.getMessage().contains("invalid"), e.getMessage());
        assertFalse(e.getMessage().contains("hf_wrongWrongWrong"));
    }

    @Test
    void gatedRepoWithTokenSaysWhereToAcceptTheConditions() {
        HubAccessException e = fails(Kind.GATED, () -> client(true).downloadModel(GATED, "main"));
        assertTrue(
                e.getMessage()
                        .contains("accept the conditions at " + hub.endpoint() + "/meta/gated-llm"
                                + " and use a token with access"),
                e.getMessage());
        assertEquals(403, e.status());
    }

    @Test
    void gatedRepoWithoutTokenAlsoAsksForOne() {
        HubAccessException e = fails(Kind.GATED, () -> client(false).downloadModel(GATED, "main"));
        assertTrue(e.getMessage().contains("huggingface-cli login"), e.getMessage());
        assertEquals(401, e.status());
    }

    @Test
    void missingRepoRevisionAndFileAreEachNamed() {
        HubAccessException repo =
                fails(Kind.REPO_NOT_FOUND, () -> client(true).downloadModel(HubRepo.model("acme/nope"), "main"));
        assertTrue(repo.getMessage().contains("acme/nope"), repo.getMessage());

        HubAccessException rev =
                fails(Kind.REVISION_NOT_FOUND, () -> client(true).downloadModel(PRIVATE, "v9"));
        assertTrue(
                rev.getMessage().contains("revision 'v9' does not exist in model acme/private-llm"), rev.getMessage());

        HubAccessException file =
                fails(Kind.ENTRY_NOT_FOUND, () -> client(true).downloadToCache(PRIVATE, "main", "nope.json"));
        assertTrue(
                file.getMessage().contains("file 'nope.json' does not exist in model acme/private-llm"),
                file.getMessage());
    }

    @Test
    void modelRepoWithoutSafetensorsExplainsWhatIsMissing() {
        HubAccessException e = fails(Kind.ENTRY_NOT_FOUND, () -> client(true).downloadModel(PRIVATE, "main"));
        assertTrue(e.getMessage().contains("model.safetensors"), e.getMessage());
    }

    @Test
    void rateLimitThatNeverClearsIsReportedAsSuch() {
        hub.failNext("/revision/", 429, java.util.Map.of("Retry-After", "0"), 100);
        HubAccessException e = fails(Kind.RATE_LIMITED, () -> client(true).downloadModel(PRIVATE, "main"));
        assertTrue(e.getMessage().contains("429"), e.getMessage());
    }

    @Test
    void messagesAndLogsNeverContainTheToken() throws Exception {
        hub.failNext("/revision/", 503, java.util.Map.of(), 1);
        fails(Kind.GATED, () -> client(true).downloadModel(GATED, "main"));
        TestLogs.assertNoToken();
    }
}
