package dev.finetune.hub;

/** One row of the Hub's tree listing ({@code /api/<type>s/<repo>/tree/<revision>}): a file or a directory at some revision. */
public final class RepoEntry {
    private final String path;
    private final boolean directory;
    private final long size;
    private final String sha256;

    RepoEntry(String path, boolean directory, long size, String sha256) {
        this.path = path;
        this.directory = directory;
        this.size = size;
        this.sha256 = sha256;
    }

    public String path() {
        return path;
    }

    public boolean isDirectory() {
        return directory;
    }

    /** Real file size in bytes (for LFS files too); -1 for directories. */
    public long size() {
        return size;
    }

    /** The LFS oid (sha256 of the content), or null for regular git files and directories. */
    public String sha256() {
        return sha256;
    }

    @Override
    public String toString() {
        return (directory ? "dir " : "file ") + path + (directory ? "" : " (" + size + " B)");
    }
}
