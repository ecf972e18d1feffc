package dev.finetune.hub;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * One repository of {@link FakeHub}: branches/refs pointing at commits, each commit a full file map. A file is
 * LFS when its name ends in .parquet/.safetensors/.bin or it is larger than 8 KiB (the real Hub decides by
 * .gitattributes and size; tests only need both kinds).
 */
public final class FakeRepo {
    final HubRepo id;
    final Map<String, String> refs = new LinkedHashMap<>();
    final Map<String, TreeMap<String, byte[]>> commits = new LinkedHashMap<>();
    boolean privateRepo;
    boolean gated;
    private int counter;

    FakeRepo(HubRepo id) {
        this.id = id;
    }

    /** Only our token may read it; others get 401 RepoNotFound (as the Hub does). */
    public FakeRepo makePrivate() {
        privateRepo = true;
        return this;
    }

    /** Nobody may read it: 401 GatedRepo without a token, 403 GatedRepo with one. */
    public FakeRepo makeGated() {
        gated = true;
        return this;
    }

    /** Adds or replaces a file on {@code ref} (creating the ref), making a new commit. Returns its sha. */
    public synchronized String put(String ref, String path, byte[] content) {
        TreeMap<String, byte[]> files = new TreeMap<>();
        String parent = refs.get(ref);
        if (parent != null) {
            files.putAll(commits.get(parent));
        }
        files.put(path, content);
        return commit(ref, files);
    }

    public String put(String ref, String path, String content) {
        return put(ref, path, content.getBytes(StandardCharsets.UTF_8));
    }

    synchronized String commit(String ref, TreeMap<String, byte[]> files) {
        String sha = hex(digest("SHA-1", (id + "#" + (++counter)).getBytes(StandardCharsets.UTF_8)));
        commits.put(sha, files);
        refs.put(ref, sha);
        return sha;
    }

    /** Commit sha for a ref name or a sha; null if unknown. */
    synchronized String commitOf(String revision) {
        if (commits.containsKey(revision)) {
            return revision;
        }
        return refs.get(revision);
    }

    synchronized TreeMap<String, byte[]> files(String commit) {
        return commits.get(commit);
    }

    static boolean isLfs(String path, byte[] content) {
        return path.endsWith(".parquet")
                || path.endsWith(".safetensors")
                || path.endsWith(".bin")
                || content.length > 8192;
    }

    static String sha256(byte[] b) {
        return hex(digest("SHA-256", b));
    }

    static String gitSha1(byte[] b) {
        byte[] head = ("blob " + b.length + "\0").getBytes(StandardCharsets.UTF_8);
        byte[] all = new byte[head.length + b.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(b, 0, all, head.length, b.length);
        return hex(digest("SHA-1", all));
    }

    private static byte[] digest(String algo, byte[] b) {
        try {
            return MessageDigest.getInstance(algo).digest(b);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String hex(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (byte x : bytes) {
            sb.append(String.format("%02x", x));
        }
        return sb.toString();
    }
}
