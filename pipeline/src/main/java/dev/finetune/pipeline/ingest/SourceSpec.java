package dev.finetune.pipeline.ingest;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * A parsed {@code source}: either a Hub dataset ({@code hf://datasets/<org>/<name>}) or one or more
 * comma-separated Hadoop paths (local, Drive, gs://, hdfs://; directories and globs allowed).
 */
public final class SourceSpec implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final String HF_PREFIX = "hf://datasets/";

    /** Hub repo id {@code org/name}, or null for paths. */
    public final String hubRepo;
    /** Paths, empty for a Hub source. */
    public final List<String> paths;

    private SourceSpec(String hubRepo, List<String> paths) {
        this.hubRepo = hubRepo;
        this.paths = Collections.unmodifiableList(paths);
    }

    public boolean isHub() {
        return hubRepo != null;
    }

    public static SourceSpec parse(String source) {
        if (source == null || source.trim().isEmpty()) {
            throw new IllegalArgumentException(
                    "source: empty; give hf://datasets/<org>/<name> or a path to " + "parquet, jsonl or json files");
        }
        String s = source.trim();
        if (s.startsWith("hf://")) {
            if (!s.startsWith(HF_PREFIX)) {
                throw new IllegalArgumentException(
                        "source: \"" + s + "\": only Hub datasets are read, as " + "hf://datasets/<org>/<name>");
            }
            String repo = s.substring(HF_PREFIX.length()).replaceAll("/+$", "");
            String[] parts = repo.split("/");
            if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
                throw new IllegalArgumentException("source: \"" + s + "\": expected hf://datasets/<org>/<name>; "
                        + "give config, split and revision as --config, --split, --revision");
            }
            return new SourceSpec(repo, new ArrayList<>());
        }
        List<String> paths = new ArrayList<>();
        for (String p : Arrays.asList(s.split(","))) {
            if (!p.trim().isEmpty()) {
                paths.add(p.trim());
            }
        }
        return new SourceSpec(null, paths);
    }

    @Override
    public String toString() {
        return isHub() ? HF_PREFIX + hubRepo : String.join(",", paths);
    }
}
