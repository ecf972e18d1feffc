package dev.finetune.pipeline.spark;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.util.LongAccumulator;
import scala.Tuple4;
import scala.collection.JavaConverters;

/**
 * Prints documents, tokens and tokens/s on the driver every few seconds while a pass runs. Accumulators
 * reach the driver when a task ends; the partial values of running tasks come with the executors'
 * heartbeats, so progress moves during long tasks too.
 */
final class Progress extends SparkListener implements AutoCloseable {
    private final SparkContext sc;
    private final ScheduledExecutorService timer;
    private final long start = System.nanoTime();
    private final String label;
    private final LongAccumulator documents;
    private final LongAccumulator tokens;
    /** Task id → {documents, tokens} so far, for running tasks. */
    private final Map<Long, long[]> running = new ConcurrentHashMap<>();

    Progress(
            SparkContext sc,
            String label,
            long totalDocuments,
            LongAccumulator documents,
            LongAccumulator tokens,
            int seconds) {
        this.sc = sc;
        this.label = label;
        this.documents = documents;
        this.tokens = tokens;
        sc.addSparkListener(this);
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "prepare-progress");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleAtFixedRate(() -> System.err.println(line(totalDocuments)), seconds, seconds, TimeUnit.SECONDS);
    }

    @Override
    public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate update) {
        for (Tuple4<Object, Object, Object, scala.collection.Seq<AccumulableInfo>> t :
                JavaConverters.seqAsJavaList(update.accumUpdates())) {
            long[] v = running.computeIfAbsent((Long) t._1(), k -> new long[2]);
            for (AccumulableInfo info : JavaConverters.seqAsJavaList(t._4())) {
                if (info.update().isDefined() && info.update().get() instanceof Long) {
                    if (info.id() == documents.id()) {
                        v[0] = (Long) info.update().get();
                    } else if (info.id() == tokens.id()) {
                        v[1] = (Long) info.update().get();
                    }
                }
            }
        }
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd end) {
        running.remove(end.taskInfo().taskId());
    }

    String line(long totalDocuments) {
        long docs = documents.value();
        long toks = tokens.value();
        for (long[] v : running.values()) {
            docs += v[0];
            toks += v[1];
        }
        double s = Math.max(1e-9, (System.nanoTime() - start) / 1e9);
        return String.format(
                Locale.ROOT,
                "prepare: %s: %,d / %,d documents, %,d tokens, %,.0f tokens/s, %.0f s",
                label,
                Math.min(docs, totalDocuments),
                totalDocuments,
                toks,
                toks / s,
                s);
    }

    @Override
    public void close() {
        timer.shutdownNow();
        sc.removeSparkListener(this);
    }
}
