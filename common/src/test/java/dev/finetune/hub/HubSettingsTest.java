package dev.finetune.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HubSettingsTest {
    @TempDir
    Path home;

    @Test
    void tokenComesFromHfTokenThenLegacyVariableThenTheTokenFile() throws Exception {
        Files.writeString(home.resolve("token"), "hf_fromFile\n");
        Map<String, String> env = Map.of("HF_HOME", home.toString());
        assertEquals(HfToken.of("hf_fromFile"), HfToken.fromEnvironment(env).orElseThrow());
        assertEquals(
                HfToken.of("hf_legacy"),
                HfToken.fromEnvironment(Map.of("HF_HOME", home.toString(), "HUGGING_FACE_HUB_TOKEN", "hf_legacy"))
                        .orElseThrow());
        assertEquals(
                HfToken.of("hf_env"),
                HfToken.fromEnvironment(Map.of(
                                "HF_HOME",
                                home.toString(),
                                "HUGGING_FACE_HUB_TOKEN",
                                "hf_legacy",
                                "HF_TOKEN",
                                "hf_env"))
                        .orElseThrow());
        assertEquals(
                Optional.empty(),
                HfToken.fromEnvironment(Map.of("HF_HOME", home.resolve("none").toString())));
    }

    @Test
    void tokenIsRedactedInToStringAndInTheSettingsDescription() throws Exception {
        HfToken t = HfToken.of("hf_superSecretValue");
        assertFalse(t.toString().contains("superSecret"));
        HubSettings s =
                HubSettings.fromEnvironment(Map.of("HF_TOKEN", "hf_superSecretValue", "HF_HOME", home.toString()));
        assertFalse(s.toString().contains("superSecret"), s.toString());
        assertTrue(s.hasToken());
        // settings travel to executors: they must serialize
        new ObjectOutputStream(new ByteArrayOutputStream()).writeObject(s);
    }

    @Test
    void environmentVariablesMapLikeHuggingfaceHub() {
        HubSettings s = HubSettings.fromEnvironment(
                Map.of("HF_HOME", home.toString(), "HF_ENDPOINT", "http://mirror.local:8080/", "HF_HUB_OFFLINE", "1"));
        assertEquals("http://mirror.local:8080", s.endpoint());
        assertEquals(home.resolve("hub"), s.cacheDir());
        assertTrue(s.offline());
        HubSettings c = HubSettings.fromEnvironment(Map.of("HF_HOME", home.toString(), "HF_HUB_CACHE", "/x/cache"));
        assertEquals(Path.of("/x/cache"), c.cacheDir());
        assertFalse(c.offline());
        assertEquals(HubSettings.DEFAULT_ENDPOINT, c.endpoint());
    }

    @Test
    void badSettingsNameTheValue() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> HubSettings.builder().endpoint("ftp://x").build());
        assertTrue(e.getMessage().contains("ftp://x"), e.getMessage());
        IllegalArgumentException r = assertThrows(
                IllegalArgumentException.class, () -> RetryPolicy.of(0, Duration.ZERO, Duration.ZERO, Duration.ZERO));
        assertTrue(r.getMessage().contains("maxAttempts") && r.getMessage().contains("0"), r.getMessage());
        assertThrows(IllegalArgumentException.class, () -> HubRepo.model("../etc"));
    }

    @Test
    void retryAfterIsReadAsSecondsOrHttpDate() {
        assertEquals(Optional.of(Duration.ofSeconds(7)), RetryPolicy.parseRetryAfter("7"));
        String inTenSeconds = DateTimeFormatter.RFC_1123_DATE_TIME.format(
                ZonedDateTime.now(ZoneOffset.UTC).plusSeconds(10));
        long ms = RetryPolicy.parseRetryAfter(inTenSeconds).orElseThrow().toMillis();
        assertTrue(ms > 8_000 && ms <= 10_000, "HTTP-date Retry-After gave " + ms + " ms");
        assertEquals(Optional.empty(), RetryPolicy.parseRetryAfter("soon"));
    }

    @Test
    void backoffDoublesWithJitterUpToTheCapAndServerWaitsAreCapped() {
        RetryPolicy p = RetryPolicy.of(6, Duration.ofMillis(100), Duration.ofMillis(400), Duration.ofSeconds(3));
        for (int i = 0; i < 50; i++) {
            long d1 = p.backoff(1, Optional.empty()).toMillis();
            long d3 = p.backoff(3, Optional.empty()).toMillis();
            long d9 = p.backoff(9, Optional.empty()).toMillis();
            assertTrue(d1 >= 50 && d1 <= 100, "attempt 1: " + d1);
            assertTrue(d3 >= 200 && d3 <= 400, "attempt 3: " + d3);
            assertTrue(d9 >= 200 && d9 <= 400, "capped: " + d9);
        }
        assertEquals(Duration.ofSeconds(3), p.backoff(1, Optional.of("3600")));
    }

    @Test
    void executorsShareOneClientPerSettingsAfterDeserialization() throws Exception {
        HubSettings s = HubSettings.fromEnvironment(Map.of("HF_TOKEN", "hf_x", "HF_HOME", home.toString()));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(s);
        }
        HubSettings copy;
        try (java.io.ObjectInputStream in =
                new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
            copy = (HubSettings) in.readObject();
        }
        assertEquals(s, copy);
        assertTrue(HubClient.shared(s) == HubClient.shared(copy));
        assertFalse(HubClient.shared(s)
                == HubClient.shared(s.toBuilder().offline(true).build()));
    }
}
