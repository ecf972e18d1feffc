package dev.finetune.hub;

import java.io.Serializable;
import java.util.Objects;

/**
 * One file of a Hub repository at a pinned revision, with what the listing said about it. Serializable and
 * self-contained so a Spark task can fetch it with {@link HubClient#download(RemoteFile, java.io.OutputStream)}.
 */
public final class RemoteFile implements Serializable {
    private static final long serialVersionUID = 1L;
    private final HubRepo repo;
    private final String revision;
    private final String path;
    private final long size;
    private final String sha256;
    private final String config;
    private final String split;

    /**
     * @param revision a commit sha (preferred: pins the content) or a branch/ref name
     * @param size bytes, or -1 when unknown
     * @param sha256 the LFS oid (hex), or null for non-LFS files
     * @param config dataset config name, or null for non-dataset files
     * @param split dataset split name, or null
     */
    public RemoteFile(
            HubRepo repo, String revision, String path, long size, String sha256, String config, String split) {
        this.repo = Objects.requireNonNull(repo, "repo");
        this.revision = Objects.requireNonNull(revision, "revision");
        this.path = Objects.requireNonNull(path, "path");
        this.size = size;
        this.sha256 = sha256;
        this.config = config;
        this.split = split;
    }

    public HubRepo repo() {
        return repo;
    }

    public String revision() {
        return revision;
    }

    /** Path inside the repository, '/'-separated. */
    public String path() {
        return path;
    }

    public long size() {
        return size;
    }

    /** Lower-case hex sha256 of the content when the Hub announced one (LFS files), else null. */
    public String sha256() {
        return sha256;
    }

    public String config() {
        return config;
    }

    public String split() {
        return split;
    }

    /** The file name after the last '/'. */
    public String fileName() {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof RemoteFile)) {
            return false;
        }
        RemoteFile r = (RemoteFile) o;
        return repo.equals(r.repo)
                && revision.equals(r.revision)
                && path.equals(r.path)
                && size == r.size
                && Objects.equals(sha256, r.sha256)
                && Objects.equals(config, r.config)
                && Objects.equals(split, r.split);
    }

    @Override
    public int hashCode() {
        return Objects.hash(repo, revision, path);
    }

    @Override
    public String toString() {
        return repo + " " + path + "@" + revision + (split == null ? "" : " [" + config + "/" + split + "]") + " ("
                + size + " B)";
    }
}
