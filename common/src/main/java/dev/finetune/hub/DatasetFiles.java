package dev.finetune.hub;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The files that make up one config of a Hub dataset, pinned to a commit, ready to be fetched in parallel with
 * {@link HubClient#download(RemoteFile, java.io.OutputStream)}.
 */
public final class DatasetFiles implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Where the files came from. */
    public enum Source {
        /** The dataset viewer's parquet export on revision refs/convert/parquet. */
        PARQUET_CONVERSION,
        /** The repository's own parquet/jsonl/json files. */
        REPO_FILES
    }

    /** File format of every file in the listing. */
    public enum Format {
        PARQUET,
        /** JSON Lines, or a JSON array of records. */
        JSON
    }

    private final HubRepo repo;
    private final String config;
    private final String commit;
    private final Source source;
    private final Format format;
    private final boolean partial;
    private final List<RemoteFile> files;

    DatasetFiles(
            HubRepo repo,
            String config,
            String commit,
            Source source,
            Format format,
            boolean partial,
            List<RemoteFile> files) {
        this.repo = repo;
        this.config = config;
        this.commit = commit;
        this.source = source;
        this.format = format;
        this.partial = partial;
        this.files = Collections.unmodifiableList(new ArrayList<>(files));
    }

    public HubRepo repo() {
        return repo;
    }

    public String config() {
        return config;
    }

    /** The commit every file is pinned to. */
    public String commit() {
        return commit;
    }

    public Source source() {
        return source;
    }

    public Format format() {
        return format;
    }

    /**
     * True when a chosen split is a {@code partial-} export: the Hub converted only its first ~5 GB, so training
     * sees only part of the dataset. Callers must warn the user.
     */
    public boolean partial() {
        return partial;
    }

    /** Files in a stable order (split, then shard index). */
    public List<RemoteFile> files() {
        return files;
    }

    public Set<String> splits() {
        Set<String> s = new LinkedHashSet<>();
        for (RemoteFile f : files) {
            s.add(f.split());
        }
        return s;
    }

    public long totalBytes() {
        long t = 0;
        for (RemoteFile f : files) {
            t += Math.max(0, f.size());
        }
        return t;
    }

    @Override
    public String toString() {
        return repo + " config=" + config + " splits=" + splits() + " files=" + files.size() + " bytes=" + totalBytes()
                + " source=" + source + (partial ? " PARTIAL" : "");
    }
}
