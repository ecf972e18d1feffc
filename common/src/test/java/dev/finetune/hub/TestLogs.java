package dev.finetune.hub;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.LoggerFactory;

/** The test JVM's log file (slf4j-simple writes there, configured by surefire in common/pom.xml). */
public final class TestLogs {
    private TestLogs() {}

    /** Everything logged so far. Fails (never skips) when logging is not captured. */
    public static String read() throws IOException {
        LoggerFactory.getLogger(TestLogs.class).info("reading the test log");
        String file = System.getProperty("org.slf4j.simpleLogger.logFile");
        assertNotNull(file, "surefire must set org.slf4j.simpleLogger.logFile so tests can read the logs");
        return new String(Files.readAllBytes(Path.of(file)), StandardCharsets.UTF_8);
    }

    /** Asserts the fake Hub's token appears in no log line. */
    public static void assertNoToken() throws IOException {
        String logs = read();
        assertFalse(logs.isEmpty(), "the test log is empty: is logging captured?");
        assertFalse(logs.contains(FakeHub.TOKEN), "the HF token leaked into the logs");
        assertFalse(logs.contains(FakeHub.TOKEN.substring(3, 20)), "part of the HF token leaked into the logs");
    }
}
