package dev.finetune.trainer.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune.storage.RunLayout;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Where logged metrics go: one JSON object per line in {@code logs/metrics-<firstStep>.jsonl} and TensorBoard
 * scalars ({@code train/loss}, {@code train/learning_rate}, ..., {@code eval/loss}) in {@code logs/}.
 * A resumed run starts new files (object stores cannot append); a name already taken (two runs resumed from the same
 * step) gets a {@code -2}, {@code -3}, ... suffix, so no metrics file is ever truncated. TensorBoard merges the event
 * files of a folder.
 */
public final class MetricsSink implements Closeable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path file;
    private final OutputStream jsonl;
    private final TensorBoardWriter tensorboard;

    public MetricsSink(FileSystem fs, Path logs, long firstStep) throws IOException {
        fs.mkdirs(logs);
        this.file = createNew(fs, logs, RunLayout.METRICS_PREFIX + firstStep, RunLayout.METRICS_SUFFIX);
        this.jsonl = fs.create(file, false);
        long now = System.currentTimeMillis();
        String host = hostName();
        Path events = createNew(fs, logs, TensorBoardWriter.fileName(now / 1000, host) + ".step" + firstStep, "");
        this.tensorboard = new TensorBoardWriter(fs.create(events, false), now / 1000.0);
    }

    /** {@code <stem><ext>}, or {@code <stem>-2<ext>}, {@code -3}, ... when taken: an existing file is never replaced. */
    private static Path createNew(FileSystem fs, Path dir, String stem, String ext) throws IOException {
        Path p = new Path(dir, stem + ext);
        for (int n = 2; fs.exists(p); n++) {
            p = new Path(dir, stem + "-" + n + ext);
        }
        return p;
    }

    /** The JSON-lines file this run writes. */
    public Path file() {
        return file;
    }

    /** Logs {@code values} (numbers become TensorBoard scalars named {@code prefix/key}) at {@code step}. */
    public void log(String prefix, long step, Map<String, ?> values) throws IOException {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("step", step);
        line.put("kind", prefix);
        line.put("time", System.currentTimeMillis() / 1000.0);
        line.putAll(values);
        jsonl.write(JSON.writeValueAsBytes(line));
        jsonl.write('\n');
        jsonl.flush();
        double wall = System.currentTimeMillis() / 1000.0;
        for (Map.Entry<String, ?> e : values.entrySet()) {
            if (e.getValue() instanceof Number) {
                tensorboard.scalar(prefix + "/" + e.getKey(), step, ((Number) e.getValue()).floatValue(), wall);
            }
        }
        tensorboard.flush();
    }

    @Override
    public void close() throws IOException {
        try {
            jsonl.close();
        } finally {
            tensorboard.close();
        }
    }

    /** From the environment: a name lookup may leave the machine, which training never does. */
    private static String hostName() {
        String h = System.getenv("HOSTNAME");
        return h == null || h.isEmpty() ? "localhost" : h.replaceAll("[^A-Za-z0-9.-]", "_");
    }
}
