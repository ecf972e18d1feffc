package dev.finetune.trainer.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Reference folders made by transformers + peft: test-fixtures/reference/models/<family>/ and
 * trainer/src/test/resources/goldens/<family>/, same layout. A missing fixtures dir fails, never skips.
 */
public final class Goldens {
    private Goldens() {}

    public static Path fixturesModels() {
        String dir = System.getProperty("fixtures.dir");
        if (dir == null) {
            throw new IllegalStateException(
                    "system property fixtures.dir is not set (surefire sets it to the test-fixtures folder)");
        }
        Path p = Paths.get(dir, "reference", "models");
        if (!Files.isDirectory(p)) {
            throw new IllegalStateException("reference models missing at " + p);
        }
        return p;
    }

    /** Every family folder (one with base/config.json) from both places. */
    public static List<Path> families() {
        List<Path> out = new ArrayList<>();
        addFrom(fixturesModels(), out);
        String root = System.getProperty("project.root");
        if (root != null) {
            addFrom(Paths.get(root, "trainer", "src", "test", "resources", "goldens"), out);
        }
        if (out.size() < 2) {
            throw new IllegalStateException("expected at least the llama and qwen2 reference folders, found " + out);
        }
        return out;
    }

    private static void addFrom(Path dir, List<Path> out) {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(p -> Files.isRegularFile(p.resolve("base").resolve("config.json")))
                    .sorted()
                    .forEach(out::add);
        } catch (IOException e) {
            throw new UncheckedIOException("listing " + dir, e);
        }
    }

    /** max |a-b| / max |b|, the fixtures' relative measure. */
    public static double relativeDiff(float[] actual, float[] expected) {
        if (actual.length != expected.length) {
            throw new AssertionError("length " + actual.length + " vs expected " + expected.length);
        }
        double maxDiff = 0;
        double maxAbs = 0;
        for (int i = 0; i < actual.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]));
            maxAbs = Math.max(maxAbs, Math.abs(expected[i]));
            if (Float.isNaN(actual[i])) {
                return Double.NaN;
            }
        }
        return maxDiff / maxAbs;
    }

    public static String head(float[] a) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < Math.min(5, a.length); i++) {
            sb.append(i > 0 ? ", " : "").append(a[i]);
        }
        return sb.append(", ...]").toString();
    }
}
