package dev.finetune.pipeline.spark;

import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.spark.util.LongAccumulator;

/** Prints documents, tokens and tokens/s on the driver every few seconds while a pass runs. */
final class Progress implements AutoCloseable {
    private final ScheduledExecutorService timer;
    private final long start = System.nanoTime();
    private final String label;
    private final LongAccumulator documents;
    private final LongAccumulator tokens;

    Progress(String label, long totalDocuments, LongAccumulator documents, LongAccumulator tokens, int seconds) {
        this.label = label;
        this.documents = documents;
        this.tokens = tokens;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "prepare-progress");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleAtFixedRate(() -> System.err.println(line(totalDocuments)), seconds, seconds, TimeUnit.SECONDS);
    }

    String line(long totalDocuments) {
        double s = Math.max(1e-9, (System.nanoTime() - start) / 1e9);
        return String.format(Locale.ROOT, "prepare: %s: %,d / %,d documents, %,d tokens, %,.0f tokens/s, %.0f s",
                label, documents.value(), totalDocuments, tokens.value(), tokens.value() / s, s);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
