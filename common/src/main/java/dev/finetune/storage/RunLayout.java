package dev.finetune.storage;

/**
 * The folders and files of one run, {@code <base_save_dir>/<project_name>/}, as every step and the CLI find them:
 *
 * <pre>
 *   data/                            token shards + manifest.json (prepare writes, train reads; shards_dir moves it)
 *   checkpoints/checkpoint-&lt;step&gt;/   resume points (train)
 *   final/                           the adapter in peft's layout (train)
 *   merged/                          base + adapter as one model (merge)
 *   logs/                            metrics-&lt;first step&gt;.jsonl, TensorBoard events, loss_curve.png, finetune.log
 * </pre>
 *
 * Locations are strings, since they may be on any Hadoop file system ({@code gs://bucket/runs/p/final}); a
 * trailing slash of {@code base_save_dir} is not doubled.
 */
public final class RunLayout {
    public static final String DATA = "data";
    public static final String CHECKPOINTS = "checkpoints";
    public static final String FINAL = "final";
    public static final String MERGED = "merged";
    public static final String LOGS = "logs";
    /** Checkpoint folders are {@code checkpoint-<global step>}. */
    public static final String CHECKPOINT_PREFIX = "checkpoint-";
    /** Metrics files are {@code metrics-<first step of the run that wrote it>.jsonl}. */
    public static final String METRICS_PREFIX = "metrics-";

    public static final String METRICS_SUFFIX = ".jsonl";
    /** The log file of a run's commands (Spark, DJL and Hadoop messages, stack traces), in {@link #LOGS}. */
    public static final String LOG_FILE = "finetune.log";

    private final String runDir;
    private final String dataDir;

    private RunLayout(String runDir, String dataDir) {
        this.runDir = runDir;
        this.dataDir = dataDir;
    }

    /** {@code <baseSaveDir>/<projectName>}, shards in its {@code data/}. */
    public static RunLayout of(String baseSaveDir, String projectName) {
        String run = join(baseSaveDir, projectName);
        return new RunLayout(run, join(run, DATA));
    }

    /** This layout with the shards in {@code shardsDir} instead; null or empty keeps the run's {@code data/}. */
    public RunLayout withShardsDir(String shardsDir) {
        return shardsDir == null || shardsDir.isEmpty()
                ? new RunLayout(runDir, join(runDir, DATA))
                : new RunLayout(runDir, shardsDir);
    }

    /** {@code <base_save_dir>/<project_name>}. */
    public String runDir() {
        return runDir;
    }

    /** Where prepare writes and train reads the token shards and manifest.json. */
    public String dataDir() {
        return dataDir;
    }

    public String checkpointsDir() {
        return join(runDir, CHECKPOINTS);
    }

    public String checkpointDir(long step) {
        return join(checkpointsDir(), CHECKPOINT_PREFIX + step);
    }

    /** The final adapter (peft layout). */
    public String finalDir() {
        return join(runDir, FINAL);
    }

    /** Where merge writes the adapter merged into the base (a full model). */
    public String mergedDir() {
        return join(runDir, MERGED);
    }

    public String logsDir() {
        return join(runDir, LOGS);
    }

    /** The metrics file of a run whose first step is {@code firstStep} (0 unless it resumed). */
    public String metricsFile(long firstStep) {
        return join(logsDir(), metricsFileName(firstStep));
    }

    public static String metricsFileName(long firstStep) {
        return METRICS_PREFIX + firstStep + METRICS_SUFFIX;
    }

    /** {@code logs/finetune.log}. */
    public String logFile() {
        return join(logsDir(), LOG_FILE);
    }

    private static String join(String dir, String name) {
        return dir.endsWith("/") ? dir + name : dir + "/" + name;
    }

    @Override
    public String toString() {
        return runDir;
    }
}
